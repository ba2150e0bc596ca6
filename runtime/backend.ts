// The backend contract, whole: tensors that live on a backend and every op that adapters, models, training
// and decoding are written in. Everything above the backends is written once against `Backend` and runs
// unchanged on `reference` (plain TypeScript, the oracle), `wasm` (AssemblyScript SIMD) and `webgpu`.
// This file is the ground floor: it imports nothing. The shape checks every op makes are in
// runtime/shapes.ts, and runtime/checked.ts makes them once, in front of each backend's kernels.
//
// Letters used in shape comments across the project:
//   N = tokens (batch * sequence), I = in_features, O = out_features, R = block size r, W = a wide row being
//   folded or tiled (I for Bone, O for mini), M = mini_r, K = inner dimension of a matmul,
//   Bt = sequences in the batch (or matrices in a batched matmul), T = sequence length,
//   D = width of a row (hidden size, or any feature count), V = vocabulary size, H = query heads,
//   Hk = key/value heads (H % Hk == 0), E = head dimension, P = parameter count of one tensor.
// Activations are stored token-major: [Bt, T, H * E], exactly as the q/k/v projections write them, so no
// transpose is ever needed between a linear layer and attention. The model math follows transformers'
// LlamaForCausalLM (RMSNorm, rotate-half rotary embeddings, causal grouped-query attention, SwiGLU MLP); the
// block adapters' math is in docs/blocks.md.
//
// Ops write into tensors the caller passes (no hidden allocation, no hidden readback); reading back to the
// CPU is only ever the explicit, asynchronous `read`. Ops never alias: an output is never also an input
// unless the op says so.

export type BackendName = 'reference' | 'wasm' | 'webgpu';

export interface Tensor {
  /** Row-major shape. Values are float32 to every op and to read/write. */
  readonly shape: readonly number[];
  /** Number of elements (product of the shape). */
  readonly size: number;
  readonly label: string;
  /** How the backend stores the values: float32 unless made by `weight` in half precision (float16), which
   *  only the ops that document it accept (the others throw naming the tensor). Absent means float32. */
  readonly dtype?: 'float32' | 'float16';
}

/** A checkpoint's 2-byte values as it stores them (little-endian bits), for `weight`: a backend that keeps
 *  weights in 2 bytes takes them without a float32 copy. */
export interface HalfBits {
  readonly dtype: 'bfloat16' | 'float16';
  readonly bits: Uint16Array;
}

export interface BackendInfo {
  name: BackendName;
  /** Human-readable device: adapter vendor/architecture, or the CPU features used. */
  device: string;
  /** Limits and features worth reporting (`osteon doctor`). */
  details: Record<string, string | number | boolean>;
  /** The kernel variants this instance launches, where the backend has several ("matmul tiled, attention tiled"). */
  variant?: string;
}

/** What a backend has asked of its device since it was made: compute dispatches, queue submits, device
 *  buffers created, bytes written from the CPU and bytes read back. Per-step figures are the difference of
 *  two readings. Backends without a separate device (reference, wasm) report none. */
export interface DeviceCounters {
  dispatches: number;
  submits: number;
  buffersCreated: number;
  bytesUploaded: number;
  bytesReadBack: number;
}

/** The traffic between two readings of Backend.counters (null when the backend has none). */
export function countersBetween(before: DeviceCounters | null, after: DeviceCounters | null): DeviceCounters | null {
  if (!before || !after) return null;
  const keys = Object.keys(after) as (keyof DeviceCounters)[];
  return Object.fromEntries(keys.map((k) => [k, after[k] - before[k]])) as unknown as DeviceCounters;
}

export interface MatmulOptions {
  /** A is stored transposed: [Bt, K, M] instead of [Bt, M, K]. */
  transA?: boolean;
  /** B is stored transposed: [Bt, N, K] instead of [Bt, K, N]. */
  transB?: boolean;
  /** Scale on the product (default 1). */
  alpha?: number;
  /** C += alpha op(A) op(B) instead of C = alpha op(A) op(B). */
  accumulate?: boolean;
  /** Number of independent matrices stored back to back in A, B and C (default 1). */
  batch?: number;
}

export interface AttentionOptions {
  /** Query heads H. */
  heads: number;
  /** Key/value heads Hk; query head h reads key/value head floor(h / (H / Hk)). */
  kvHeads: number;
  /** Sliding window W: token t sees tokens s with t - W < s <= t. Null or absent: plain causal. */
  window?: number | null;
}

export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step number, for the bias corrections 1 - beta^step. */
  step: number;
}

/** How `crossEntropy` writes its loss: loss[0] (=|+=) weight * mean, so that the chunks of a batch and the
 *  micro-batches of a step add up to the step's loss on the device (the trainer reads it once per step). */
export interface LossInto {
  weight: number;
  accumulate: boolean;
}

/** Gradient clipping as `stepStats` decides it: the global norm is sqrt(normSq) / divisor (the gradients of
 *  `divisor` micro-batches were summed), scaled down to at most maxNorm (0: no clipping). */
export interface ClipOptions {
  maxNorm: number;
  divisor: number;
}

/** The value that marks a target left out of the loss (PyTorch's and transformers' ignore_index). */
export const IGNORE_INDEX = -100;

export interface Backend {
  readonly name: BackendName;
  readonly info: BackendInfo;

  // ---- tensors ------------------------------------------------------------------------------------
  /** A new tensor; zero-filled unless `data` is given (its length must equal the shape's size). */
  tensor(shape: readonly number[], data?: Float32Array, label?: string): Tensor;
  /** A frozen weight: stored in half precision where the backend computes with it in float32 at half the
   *  memory (WebGPU with shader-f16, WebAssembly), else exactly `tensor(shape, data, label)`. `data` may be a
   *  checkpoint's raw bfloat16/float16 values, which a backend storing float16 takes with no float32 copy. */
  weight(shape: readonly number[], data: Float32Array | HalfBits, label?: string): Tensor;
  /** Copy the tensor's contents back to the CPU. Waits for all queued work that writes it. */
  read(t: Tensor): Promise<Float32Array>;
  /** Overwrite the tensor's contents from the CPU. */
  write(t: Tensor, data: Float32Array): void;
  /** dst = src (same size); between a float16 and a float32 tensor it converts (to float16 rounding to
   *  nearest). */
  copy(src: Tensor, dst: Tensor): void;
  /** Release the tensor's memory; using it afterwards, disposing it again included, is an error. */
  dispose(t: Tensor): void;
  /** Wait until all queued work has finished and surface any error it raised. */
  sync(): Promise<void>;
  /** Release the device. */
  destroy(): void;
  /** The device traffic so far (a copy), or null where there is no device apart from the CPU. */
  counters(): DeviceCounters | null;

  // ---- dense algebra ------------------------------------------------------------------------------
  /** C[Bt, M, N] (=|+=) alpha * op(A)[Bt, M, K] op(B)[Bt, K, N]; shapes given by the stored tensors.
   *  A, B and C may be float16 weights. */
  matmul(a: Tensor, b: Tensor, c: Tensor, options?: MatmulOptions): void;

  // ---- block indexing: the two primitives of Bone, mini and a bias (docs/blocks.md) ----------------
  /** narrow[n, j] = sum_t wide[n, t R + j].  wide [N, W], narrow [N, R] (overwritten). W must be a multiple
   *  of R unless `pad`, which zero-pads the last chunk (Bone's chunk sum over in_features). */
  fold(wide: Tensor, narrow: Tensor, pad?: boolean): void;
  /** wide[n, c] += narrow[n, c mod R].  narrow [N, R], or [R] for every row (a bias), wide [N, W]. W must be a
   *  multiple of R unless `pad` (the last chunk then takes the first W mod R columns of narrow); a one-row
   *  [R] narrow always needs whole chunks. */
  tile(narrow: Tensor, wide: Tensor, pad?: boolean): void;
  /** w[o, c] += sign * b[c mod R, o mod M].  b [R, M], w [O, I] (may be a float16 weight). Bone (M = O) and
   *  mini merge. */
  blockDelta(b: Tensor, w: Tensor, sign: 1 | -1): void;

  // ---- Bat block-affine ---------------------------------------------------------------------------
  /** dst_ik = w_ik (I + m_i) + c_i for every R x R block (i output block, k input block).
   *  w, dst [O, I]; m, c [O/R, R, R]. dst must not alias w; w may be a float16 weight. */
  blockAffine(w: Tensor, m: Tensor, c: Tensor, dst: Tensor): void;
  /** db_i = sum_k (w_ik + I)^T (g_i^T x_k), never forming the whole [O, I] product g^T x.
   *  w [O, I] (may be a float16 weight), g [N, O], x [N, I], db [O/R, R, R] (overwritten). */
  batGrad(w: Tensor, g: Tensor, x: Tensor, db: Tensor): void;

  // ---- transformer ops ----------------------------------------------------------------------------
  /** out[n, :] = table[ids[n], :].  ids [N] (CPU), table [V, D] (may be a float16 weight), out [N, D]
   *  (overwritten). An id outside [0, V) throws. */
  embedding(ids: Int32Array, table: Tensor, out: Tensor): void;
  /** dtable[ids[n], :] += dout[n, :] (the gradient of `embedding`; repeated ids add up). Without
   *  `accumulate`, dtable is zeroed first.  ids [N] (CPU, checked as for embedding), dout [N, D], dtable [V, D]. */
  embeddingBackward(ids: Int32Array, dout: Tensor, dtable: Tensor, accumulate: boolean): void;
  /** y[n, d] = x[n, d] * rstd[n] * w[d] with rstd[n] = 1 / sqrt(mean_d x[n, d]^2 + eps).
   *  x, y [N, D]; w [D]; rstd [N] (written; backward needs it). */
  rmsNorm(x: Tensor, w: Tensor, eps: number, y: Tensor, rstd: Tensor): void;
  /** dx [N, D] += the input gradient of rmsNorm for dy [N, D], given x, w and rstd from the forward pass.
   *  Accumulates, so a residual stream's gradient can be passed as dx. The weight's gradient is separate
   *  (rmsNormWeightGrad), as only full fine-tuning wants it. */
  rmsNormBackward(x: Tensor, w: Tensor, rstd: Tensor, dy: Tensor, dx: Tensor): void;
  /** dw[d] = sum_n dy[n, d] x[n, d] rstd[n] (overwritten): the gradient of rmsNorm's weight.
   *  x, dy [N, D]; rstd [N] from the forward pass; dw [D]. */
  rmsNormWeightGrad(x: Tensor, rstd: Tensor, dy: Tensor, dw: Tensor): void;
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
   *  logits [N, V]; targets [N] (CPU, each in [0, V) or -100, at least one not -100). With `into`, the mean
   *  is weighted and may add to loss[0] instead (LossInto); dlogits is the same either way. */
  crossEntropy(logits: Tensor, targets: Int32Array, loss: Tensor, dlogits: Tensor | null, into?: LossInto): void;

  // ---- training ops -------------------------------------------------------------------------------
  /** PyTorch's AdamW (decoupled weight decay, bias-corrected moments) on one tensor, in place:
   *  g = scale[0] * grad; p -= lr * weightDecay * p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
   *  p -= lr * (m / (1 - b1^step)) / (sqrt(v / (1 - b2^step)) + eps). The scale lives on the device (the
   *  first element of `stepStats`' output, or any tensor) so that the update never waits for the CPU; when it
   *  is not finite nothing is written, and a step whose loss or gradient went wrong leaves the parameters
   *  and moments as they were.  param, grad, m, v [P]; scale [S >= 1]. */
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, scale: Tensor, step: AdamWStep): void;
  /** An optimizer step's numbers, decided on the device: stats [3] = [scale, loss[0], gradNorm] with
   *  gradNorm = sqrt(normSq[0]) / divisor and scale = min(1, maxNorm / gradNorm) / divisor (1 / divisor
   *  when maxNorm is 0), the factor adamw applies. scale is NaN when the loss or the norm is not finite, and
   *  stays NaN when stats[0] already is: steps queued behind a failed one leave the parameters alone too.
   *  loss [1], normSq [1], stats [3]. */
  stepStats(loss: Tensor, normSq: Tensor, clip: ClipOptions, stats: Tensor): void;
  /** out[0] (+)= sum of t[i]^2.  t [P], out [1]. */
  sumSquares(t: Tensor, out: Tensor, accumulate: boolean): void;
  /** Inverted dropout with a counter-based mask, the same on every backend for the same seed:
   *  out[i] = keep(seed, i) ? x[i] / (1 - p) : 0, keep as in `dropoutKeeps`. x, out [P] (may alias).
   *  Calling it again with the same seed on a gradient applies the same mask (its backward). */
  dropout(x: Tensor, out: Tensor, p: number, seed: number): void;

  // ---- decoding -----------------------------------------------------------------------------------
  /** Append the new keys and values at rows P..P+Tq-1 of the caches, then causal attention of the new
   *  queries over every cached position: query t sits at position P + t and sees positions s <= P + t
   *  (inside the window when one is set). Scores scaled by 1/sqrt(E), grouped-query heads as in `attention`.
   *  P = tokens already in the cache, Tq = new tokens, C = cache capacity.
   *  q, out [Bt, Tq, H*E]; kNew, vNew [Bt, Tq, Hk*E]; kCache, vCache [Bt, C, Hk*E] with P + Tq <= C. */
  attentionDecode(q: Tensor, kNew: Tensor, vNew: Tensor, kCache: Tensor, vCache: Tensor, past: number, out: Tensor, options: AttentionOptions): void;
}

/** The dropout mask bit for element i: a 32-bit integer hash of (seed, i) compared with p * 2^32.
 *  Every backend computes exactly this (u32 arithmetic, wrapping multiplies):
 *    h = i * 0x9E3779B1 + seed * 0x85EBCA77; h ^= h >> 16; h *= 0x7FEB352D; h ^= h >> 15;
 *    h *= 0x846CA68B; h ^= h >> 16; keep = h >= threshold, threshold = min(floor(p * 2^32), 2^32 - 1). */
export function dropoutKeeps(i: number, seed: number, threshold: number): boolean {
  let h = (Math.imul(i, 0x9e3779b1) + Math.imul(seed, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0 >= threshold;
}

/** The u32 threshold of dropoutKeeps for probability p. */
export function dropoutThreshold(p: number): number {
  if (!(p >= 0 && p < 1)) throw new Error(`[dropout] p=${p} must be in [0, 1)`);
  return Math.min(Math.floor(p * 4294967296), 4294967295);
}
