// The ops a decoder-only transformer (runtime/model/llama.ts) needs on top of the adapter ops of `Backend`.
// Kept as a separate interface so the shared `Backend` stays what every backend already implements; a
// backend that can run whole models implements `ModelBackend`. The math follows transformers'
// LlamaForCausalLM (RMSNorm, rotate-half rotary embeddings, causal grouped-query attention, SwiGLU MLP);
// the plain versions are in runtime/reference/ops.ts, the shape checks in runtime/model/op-shapes.ts.
//
// Letters (in addition to runtime/backend.ts): Bt = sequences in the batch, T = sequence length,
// N = Bt * T tokens, D = width of a row (hidden size, or any feature count), V = vocabulary size,
// H = query heads, Hk = key/value heads (H % Hk == 0), E = head dimension.
// Activations are stored token-major: [Bt, T, H * E], exactly as the q/k/v projections write them, so no
// transpose is ever needed between a linear layer and attention.
import type { Backend, Tensor } from '../backend.js';

export interface AttentionOptions {
  /** Query heads H. */
  heads: number;
  /** Key/value heads Hk; query head h reads key/value head floor(h / (H / Hk)). */
  kvHeads: number;
  /** Sliding window W: token t sees tokens s with t - W < s <= t. Null or absent: plain causal. */
  window?: number | null;
}

export interface ModelBackend extends Backend {
  /** out[n, :] = table[ids[n], :].  ids [N] (CPU), table [V, D], out [N, D] (overwritten).
   *  An id outside [0, V) throws. */
  embedding(ids: Int32Array, table: Tensor, out: Tensor): void;

  /** y[n, d] = x[n, d] * rstd[n] * w[d] with rstd[n] = 1 / sqrt(mean_d x[n, d]^2 + eps).
   *  x, y [N, D]; w [D]; rstd [N] (written; backward needs it). */
  rmsNorm(x: Tensor, w: Tensor, eps: number, y: Tensor, rstd: Tensor): void;
  /** dx [N, D] += the input gradient of rmsNorm for dy [N, D], given x, w and rstd from the forward pass.
   *  Accumulates, so a residual stream's gradient can be passed as dx. The weight w is frozen (no dw). */
  rmsNormBackward(x: Tensor, w: Tensor, rstd: Tensor, dy: Tensor, dx: Tensor): void;

  /** Rotary embedding in place, rotate-half convention: for each head and i < E/2, with
   *  a = positions[n] * invFreq[i]: (x_i, x_{i+E/2}) <- (x_i cos a - x_{i+E/2} sin a, x_{i+E/2} cos a + x_i sin a).
   *  x [N, Hx * E] (any head count Hx), positions [N] (CPU), invFreq [E/2] (CPU). */
  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array): void;
  /** Backward of `rope`, in place on the gradient dx [N, Hx * E]: the inverse rotation (angle -a). */
  ropeBackward(dx: Tensor, positions: Int32Array, invFreq: Float32Array): void;

  /** Causal softmax attention per sequence and head, scores scaled by 1/sqrt(E):
   *  out[b, t, h] = sum_s softmax_s(q[b, t, h] . k[b, s, g] / sqrt(E)) v[b, s, g], g = the key/value head of h.
   *  q, out [Bt, T, H * E]; k, v [Bt, T, Hk * E]; lse [N, H] (written: the log-sum-exp of each softmax row,
   *  all that backward needs to rebuild the probabilities without storing the [T, T] matrix). */
  attention(q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, options: AttentionOptions): void;
  /** Gradients of `attention` for dout [Bt, T, H * E], given its inputs, output and lse.
   *  dq [Bt, T, H * E], dk, dv [Bt, T, Hk * E] (all overwritten). */
  attentionBackward(
    q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, dout: Tensor,
    dq: Tensor, dk: Tensor, dv: Tensor, options: AttentionOptions,
  ): void;

  /** out = silu(gate) * up, silu(g) = g / (1 + exp(-g)).  gate, up, out [N, D]. */
  swiglu(gate: Tensor, up: Tensor, out: Tensor): void;
  /** dgate = dout * up * silu'(gate), dup = dout * silu(gate).  All [N, D]; dgate and dup overwritten. */
  swigluBackward(gate: Tensor, up: Tensor, dout: Tensor, dgate: Tensor, dup: Tensor): void;

  /** y += a, elementwise (same size): the residual connections. */
  add(a: Tensor, y: Tensor): void;

  /** Mean cross-entropy of softmax(logits[n]) against targets[n] over the rows whose target is not -100:
   *  loss [1] = mean_n (logsumexp(logits[n]) - logits[n, targets[n]]); dlogits [N, V] (overwritten, when
   *  given) = its gradient, (softmax(logits[n]) - onehot(targets[n])) / count, zero on ignored rows.
   *  logits [N, V]; targets [N] (CPU, each in [0, V) or -100, at least one not -100). */
  crossEntropy(logits: Tensor, targets: Int32Array, loss: Tensor, dlogits: Tensor | null): void;
}

/** The value that marks a target left out of the loss (PyTorch's and transformers' ignore_index). */
export const IGNORE_INDEX = -100;
