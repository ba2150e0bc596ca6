// Plain, readable reference implementations of every backend op, on Float32Array.
// These are the oracle the SIMD (asm/) and WGSL (gpu/) kernels are tested against: clarity over speed,
// float64 accumulation so that the reference is the more accurate side of every comparison.
// Letters: see runtime/backend.ts.
import type { AttentionDims } from '../shapes.js';

/** C[Bt,M,N] (=|+=) alpha op(A) op(B). A is [Bt,M,K] (or [Bt,K,M] when transA), B [Bt,K,N] (or [Bt,N,K]). */
export function matmul(
  a: Float32Array, b: Float32Array, c: Float32Array,
  batch: number, m: number, n: number, k: number,
  transA: boolean, transB: boolean, alpha: number, accumulate: boolean,
): void {
  for (let t = 0; t < batch; t++) {
    const ao = t * m * k, bo = t * k * n, co = t * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[ao + p * m + i] : a[ao + i * k + p];
          const bv = transB ? b[bo + j * k + p] : b[bo + p * n + j];
          sum += av * bv;
        }
        c[co + i * n + j] = alpha * sum + (accumulate ? c[co + i * n + j] : 0);
      }
    }
  }
}

/** narrow[n, j] = sum_t wide[n, t R + j], the last chunk zero-padded.  wide [N, W], narrow [N, R]. */
export function fold(wide: Float32Array, narrow: Float32Array, rows: number, w: number, r: number): void {
  for (let t = 0; t < rows; t++) {
    for (let j = 0; j < r; j++) {
      let sum = 0;
      for (let c = j; c < w; c += r) sum += wide[t * w + c];
      narrow[t * r + j] = sum;
    }
  }
}

/** wide[n, c] += narrow[n, c mod R].  narrow [N, R], wide [N, W]. */
export function tile(narrow: Float32Array, wide: Float32Array, rows: number, w: number, r: number): void {
  for (let t = 0; t < rows; t++) for (let c = 0; c < w; c++) wide[t * w + c] += narrow[t * r + (c % r)];
}

/** w[o,c] += sign * b[c mod R, o mod M].  b [R,M], w [O,I]. */
export function blockDelta(b: Float32Array, w: Float32Array, out: number, inF: number, r: number, m: number, sign: number): void {
  for (let o = 0; o < out; o++) for (let c = 0; c < inF; c++) w[o * inF + c] += sign * b[(c % r) * m + (o % m)];
}

/** dst_ik = w_ik (I + m_i) + c_i per R x R block.  w, dst [O,I]; m, c [O/R,R,R]. */
export function blockAffine(
  w: Float32Array, m: Float32Array, c: Float32Array, dst: Float32Array, out: number, inF: number, r: number,
): void {
  for (let o = 0; o < out; o++) {
    const i = Math.floor(o / r), a = o % r;
    for (let col = 0; col < inF; col++) {
      const kBase = col - (col % r), b = col % r;
      let sum = w[o * inF + col] + c[(i * r + a) * r + b];
      for (let j = 0; j < r; j++) sum += w[o * inF + kBase + j] * m[(i * r + j) * r + b];
      dst[o * inF + col] = sum;
    }
  }
}

/** db_i = sum_k (w_ik + I)^T (g_i^T x_k).  w [O,I], g [N,O], x [N,I], db [O/R,R,R]. */
export function batGrad(
  w: Float32Array, g: Float32Array, x: Float32Array, db: Float32Array, n: number, out: number, inF: number, r: number,
): void {
  const tile = new Float64Array(r * r);
  db.fill(0);
  for (let i = 0; i < out / r; i++) {
    for (let k = 0; k < inF / r; k++) {
      // tile = g_i^T x_k  [R,R]
      tile.fill(0);
      for (let t = 0; t < n; t++) {
        for (let a = 0; a < r; a++) {
          const gv = g[t * out + i * r + a];
          for (let b = 0; b < r; b++) tile[a * r + b] += gv * x[t * inF + k * r + b];
        }
      }
      // db_i += (w_ik + I)^T tile
      for (let a = 0; a < r; a++) {
        for (let b = 0; b < r; b++) {
          let sum = 0;
          for (let j = 0; j < r; j++) {
            const wv = w[(i * r + j) * inF + k * r + a] + (j === a ? 1 : 0);
            sum += wv * tile[j * r + b];
          }
          db[(i * r + a) * r + b] += sum;
        }
      }
    }
  }
}

// =====================================================================================================
// Transformer ops. Letters (runtime/backend.ts): N tokens, D row width, V vocabulary, Bt sequences of T
// tokens, H query heads, Hk key/value heads, E head dimension.
// =====================================================================================================

/** out[n, :] = table[ids[n], :].  table [V,D], out [N,D]. */
export function embedding(ids: Int32Array, table: Float32Array, out: Float32Array, width: number): void {
  for (let n = 0; n < ids.length; n++) out.set(table.subarray(ids[n] * width, (ids[n] + 1) * width), n * width);
}

/** dtable[ids[n], :] += dout[n, :] (zeroed first unless `accumulate`).  dout [N,D], dtable [V,D]. */
export function embeddingBackward(ids: Int32Array, dout: Float32Array, dtable: Float32Array, width: number, accumulate: boolean): void {
  if (!accumulate) dtable.fill(0);
  for (let n = 0; n < ids.length; n++) {
    for (let d = 0; d < width; d++) dtable[ids[n] * width + d] += dout[n * width + d];
  }
}

/** y = x * rstd * w, rstd[n] = 1/sqrt(mean(x[n]^2) + eps).  x, y [N,D], w [D], rstd [N]. */
export function rmsNorm(x: Float32Array, w: Float32Array, eps: number, y: Float32Array, rstd: Float32Array, n: number, width: number): void {
  for (let t = 0; t < n; t++) {
    let sq = 0;
    for (let d = 0; d < width; d++) sq += x[t * width + d] * x[t * width + d];
    const r = 1 / Math.sqrt(sq / width + eps);
    rstd[t] = r;
    for (let d = 0; d < width; d++) y[t * width + d] = x[t * width + d] * r * w[d];
  }
}

/** dx += d rmsNorm: with u = w * dy, dx[d] += r u[d] - x[d] r^3 mean(u x).  x, dy, dx [N,D]. */
export function rmsNormBackward(
  x: Float32Array, w: Float32Array, rstd: Float32Array, dy: Float32Array, dx: Float32Array, n: number, width: number,
): void {
  for (let t = 0; t < n; t++) {
    const r = rstd[t];
    let dot = 0;
    for (let d = 0; d < width; d++) dot += w[d] * dy[t * width + d] * x[t * width + d];
    const c = (r * r * r * dot) / width;
    for (let d = 0; d < width; d++) dx[t * width + d] += r * w[d] * dy[t * width + d] - c * x[t * width + d];
  }
}

/** dw[d] = sum_n dy[n,d] x[n,d] rstd[n].  x, dy [N,D], rstd [N], dw [D]. */
export function rmsNormWeightGrad(x: Float32Array, rstd: Float32Array, dy: Float32Array, dw: Float32Array, n: number, width: number): void {
  for (let d = 0; d < width; d++) {
    let sum = 0;
    for (let t = 0; t < n; t++) sum += dy[t * width + d] * x[t * width + d] * rstd[t];
    dw[d] = sum;
  }
}

/** Rotate-half rotary embedding in place by angle sign * a, a = positions[n] * invFreq[i].  x [N, Hx*E];
 *  table [N, 2, E/2]: cos a, then sin a, of each token (runtime/checked.ts ropeTable). */
export function rope(x: Float32Array, table: Float32Array, n: number, heads: number, half: number, sign: 1 | -1): void {
  const e = 2 * half;
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < half; i++) {
      const cos = table[t * e + i], sin = sign * table[t * e + half + i];
      for (let h = 0; h < heads; h++) {
        const base = (t * heads + h) * e;
        const lo = x[base + i], hi = x[base + i + half];
        x[base + i] = lo * cos - hi * sin;
        x[base + i + half] = hi * cos + lo * sin;
      }
    }
  }
}

/** Whether token t may attend to token s (causal, optionally within a sliding window). */
function visible(t: number, s: number, window: number | null): boolean {
  return s <= t && (window === null || t - s < window);
}

/** First key position a query at position t sees (the causal window's start). */
export function firstVisible(t: number, window: number | null): number {
  return window === null ? 0 : Math.max(0, t - window + 1);
}

/** One query row q[qo..qo+E) of softmax attention over key positions first..last, whose key and value rows
 *  start at keyAt(s) in k and v: writes the row to out[qo..) and returns its log-sum-exp.
 *  `scores` [>= last + 1] and `acc` [E] are scratch. Shared by `attention` and the cached decode. */
export function attendRow(
  q: Float32Array, qo: number, k: Float32Array, v: Float32Array, keyAt: (s: number) => number,
  first: number, last: number, e: number, out: Float32Array, scores: Float64Array, acc: Float64Array,
): number {
  const scale = 1 / Math.sqrt(e);
  let max = -Infinity;
  for (let s = first; s <= last; s++) {
    const ko = keyAt(s);
    let dot = 0;
    for (let i = 0; i < e; i++) dot += q[qo + i] * k[ko + i];
    scores[s] = dot * scale;
    max = Math.max(max, scores[s]);
  }
  let sum = 0;
  acc.fill(0);
  for (let s = first; s <= last; s++) {
    const p = Math.exp(scores[s] - max);
    sum += p;
    const vo = keyAt(s);
    for (let i = 0; i < e; i++) acc[i] += p * v[vo + i];
  }
  for (let i = 0; i < e; i++) out[qo + i] = acc[i] / sum;
  return max + Math.log(sum);
}

/** out = softmax(q k^T / sqrt(E) + causal mask) v per sequence and head; lse [N,H] = log-sum-exp of each row.
 *  q, out [Bt,T,H*E]; k, v [Bt,T,Hk*E]. */
export function attention(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, lse: Float32Array, d: AttentionDims,
): void {
  const { batch, seq, heads, kvHeads, headDim: e, window } = d;
  const group = heads / kvHeads;
  const scores = new Float64Array(seq), acc = new Float64Array(e);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / group);
      const keyAt = (s: number) => ((b * seq + s) * kvHeads + g) * e;
      for (let t = 0; t < seq; t++) {
        const qo = ((b * seq + t) * heads + h) * e;
        lse[(b * seq + t) * heads + h] = attendRow(q, qo, k, v, keyAt, firstVisible(t, window), t, e, out, scores, acc);
      }
    }
  }
}

/** Flash-attention style backward from lse: P = exp(S - lse), dP = dout v^T, dS = P (dP - rowsum(dout * out)),
 *  dq = dS k / sqrt(E), dk = dS^T q / sqrt(E), dv = P^T dout (key/value gradients summed over each group). */
export function attentionBackward(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, lse: Float32Array, dout: Float32Array,
  dq: Float32Array, dk: Float32Array, dv: Float32Array, d: AttentionDims,
): void {
  const { batch, seq, heads, kvHeads, headDim: e, window } = d;
  const group = heads / kvHeads, scale = 1 / Math.sqrt(e);
  const dq64 = new Float64Array(dq.length), dk64 = new Float64Array(dk.length), dv64 = new Float64Array(dv.length);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / group);
      for (let t = 0; t < seq; t++) {
        const qo = ((b * seq + t) * heads + h) * e;
        const rowLse = lse[(b * seq + t) * heads + h];
        let delta = 0; // rowsum(dout * out): the softmax Jacobian's correction term
        for (let i = 0; i < e; i++) delta += dout[qo + i] * out[qo + i];
        for (let s = 0; s <= t; s++) {
          if (!visible(t, s, window)) continue;
          const ko = ((b * seq + s) * kvHeads + g) * e;
          let dot = 0, dp = 0;
          for (let i = 0; i < e; i++) { dot += q[qo + i] * k[ko + i]; dp += dout[qo + i] * v[ko + i]; }
          const p = Math.exp(dot * scale - rowLse);
          const ds = p * (dp - delta) * scale;
          for (let i = 0; i < e; i++) {
            dq64[qo + i] += ds * k[ko + i];
            dk64[ko + i] += ds * q[qo + i];
            dv64[ko + i] += p * dout[qo + i];
          }
        }
      }
    }
  }
  dq.set(dq64);
  dk.set(dk64);
  dv.set(dv64);
}

const sigmoid = (g: number) => 1 / (1 + Math.exp(-g));

/** out = silu(gate) * up. */
export function swiglu(gate: Float32Array, up: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

/** dup = dout silu(g); dgate = dout up silu'(g), silu'(g) = s (1 + g (1 - s)) with s = sigmoid(g). */
export function swigluBackward(gate: Float32Array, up: Float32Array, dout: Float32Array, dgate: Float32Array, dup: Float32Array): void {
  for (let i = 0; i < dout.length; i++) {
    const g = gate[i], s = sigmoid(g);
    dup[i] = dout[i] * g * s;
    dgate[i] = dout[i] * up[i] * s * (1 + g * (1 - s));
  }
}

/** y += a. */
export function add(a: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a[i];
}

/** Mean cross-entropy over rows whose target is not `ignore`; dlogits (if given) its gradient.  logits [N,V].
 *  Returns the loss. */
export function crossEntropy(
  logits: Float32Array, targets: Int32Array, dlogits: Float32Array | null, n: number, vocab: number, count: number, ignore: number,
): number {
  let total = 0;
  for (let t = 0; t < n; t++) {
    const row = logits.subarray(t * vocab, (t + 1) * vocab);
    if (targets[t] === ignore) {
      dlogits?.fill(0, t * vocab, (t + 1) * vocab);
      continue;
    }
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) max = Math.max(max, row[j]);
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(row[j] - max);
    const lse = max + Math.log(sum);
    total += lse - row[targets[t]];
    if (dlogits) {
      for (let j = 0; j < vocab; j++) dlogits[t * vocab + j] = (Math.exp(row[j] - lse) - (j === targets[t] ? 1 : 0)) / count;
    }
  }
  return total / count;
}
