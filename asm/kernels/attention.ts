// Causal grouped-query softmax attention on token-major activations (runtime/backend.ts attention,
// attentionBackward; runtime/backend.ts attentionDecode; references in runtime/reference/). Per sequence b
// and query head h (key/value head g = h / (H / Hk)), queries are taken BQ rows at a time, and every product is
// one sgemm on strided sub-matrices of the [.., H * E] rows, never a scalar triple loop:
//   S = scale Q_blk K^T over the keys the block can see (causal, inside the window), softmax per row,
//   out_blk = P V; backward recomputes P = exp(S - lse) and forms dP = dout V^T, delta = rowsum(P dP)
//   (= rowsum(dout * out), so `out` itself is not read), dS = P (dP - delta) scale,
//   dq_blk = dS K, dk += dS^T Q_blk, dv += P^T dout_blk (flash-attention's equations, with the [T, T] matrix
//   never stored beyond one block of rows).
// Threads share the (b, h) pairs in chunks (parts.ts). Backward's dk and dv sum over the heads of a group, so
// thread 0 accumulates into dk / dv and every other thread into its own [2, Bt, T, Hk * E] buffer; the caller
// zeroes all of them first and adds the buffers in afterwards.
// No bounds checks (TypeScript edge). Letters: Bt sequences, T tokens, H / Hk query / key-value heads,
// E head dimension, C cache capacity, BQ query rows per block.
import { expv } from './exp';
import { PACK_BYTES, sgemm } from './matmul';
import { partStart } from './parts';

const BQ = 64;

/** Floats of scratch one thread needs for `keys` visible keys: forward one [BQ, keys] block, backward two. */
export function attentionScratch(keys: i32, backward: bool): i32 {
  return (backward ? 2 : 1) * BQ * keys;
}

/** First key position query position `pos` sees: the window's start, or 0. */
// @ts-ignore: decorator
@inline function firstKey(pos: i32, window: i32): i32 {
  return window > 0 && pos - window + 1 > 0 ? pos - window + 1 : 0;
}

/** row[j] = 0 for j outside [lo, hi).  row [width]. */
function maskOutside(row: usize, width: i32, lo: i32, hi: i32): void {
  if (lo > 0) memory.fill(row, 0, <usize>lo << 2);
  if (hi < width) memory.fill(row + (<usize>hi << 2), 0, <usize>(width - hi) << 2);
}

/** row[lo:hi] <- softmax(row[lo:hi]) in place, zero elsewhere; returns the log-sum-exp.  row [width]. */
function softmaxRow(row: usize, width: i32, lo: i32, hi: i32): f32 {
  let mx = f32x4.splat(-Infinity);
  let j = lo;
  for (; j + 4 <= hi; j += 4) mx = f32x4.max(mx, v128.load(row + (<usize>j << 2)));
  let m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  for (; j < hi; j++) m = max(m, load<f32>(row + (<usize>j << 2)));
  const shift = f32x4.splat(m);
  let acc = f32x4.splat(0);
  let sum: f64 = 0;
  j = lo;
  for (; j + 4 <= hi; j += 4) {
    const at = row + (<usize>j << 2);
    const e = expv(f32x4.sub(v128.load(at), shift));
    v128.store(at, e);
    acc = f32x4.add(acc, e);
  }
  for (; j < hi; j++) {
    const at = row + (<usize>j << 2);
    const e = f32x4.extract_lane(expv(f32x4.splat(load<f32>(at) - m)), 0);
    store<f32>(at, e);
    sum += e;
  }
  sum += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  const inv = f32x4.splat(<f32>(1 / sum));
  j = lo;
  for (; j + 4 <= hi; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), inv));
  for (; j < hi; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * f32x4.extract_lane(inv, 0));
  maskOutside(row, width, lo, hi);
  return <f32>(<f64>m + Math.log(sum));
}

/** One query head over its keys: queries at positions first .. first + rows - 1 (row stride ldq), keys and
 *  values at positions 0.. (row stride ldkv), out like q, lse[row * ldlse] written when lse != 0.
 *  scores: BQ x (first + rows) floats; pack: PACK_BYTES. */
function attendHead(
  q: usize, ldq: i32, k: usize, v: usize, ldkv: i32, out: usize, lse: usize, ldlse: i32,
  rows: i32, first: i32, window: i32, e: i32, scale: f32, scores: usize, pack: usize,
): void {
  for (let r0 = 0; r0 < rows; r0 += BQ) {
    const m = min(BQ, rows - r0);
    const c0 = firstKey(first + r0, window), c1 = first + r0 + m;
    const width = c1 - c0;
    sgemm(false, true, m, width, e, scale, q + ((<usize>r0 * ldq) << 2), ldq, k + ((<usize>c0 * ldkv) << 2), ldkv,
      false, scores, width, pack);
    for (let i = 0; i < m; i++) {
      const pos = first + r0 + i;
      const l = softmaxRow(scores + ((<usize>i * width) << 2), width, firstKey(pos, window) - c0, pos + 1 - c0);
      if (lse) store<f32>(lse + ((<usize>(r0 + i) * ldlse) << 2), l);
    }
    sgemm(false, false, m, e, width, 1, scores, width, v + ((<usize>c0 * ldkv) << 2), ldkv,
      false, out + ((<usize>r0 * ldq) << 2), ldq, pack);
  }
}

/** out, lse of causal attention.  q, out [Bt, T, H * E]; k, v [Bt, T, Hk * E]; lse [Bt * T, H];
 *  window 0 = none; scratch [threads, BQ, T]; pack [threads] x PACK_BYTES. */
export function attention(
  q: usize, k: usize, v: usize, out: usize, lse: usize, batch: i32, seq: i32, heads: i32, kvHeads: i32, e: i32,
  window: i32, scratch: usize, pack: usize, chunk: i32, chunks: i32, thread: i32,
): void {
  const group = heads / kvHeads, scale = <f32>(1 / Math.sqrt(e));
  const ldq = heads * e, ldkv = kvHeads * e;
  scratch += (<usize>thread * attentionScratch(seq, false)) << 2;
  pack += <usize>thread * PACK_BYTES;
  const p0 = partStart(batch * heads, chunk, chunks, 1), p1 = partStart(batch * heads, chunk + 1, chunks, 1);
  for (let p = p0; p < p1; p++) {
    const b = p / heads, h = p % heads, g = h / group;
    const qh = q + ((<usize>b * seq * ldq + h * e) << 2), kvg = (<usize>b * seq * ldkv + g * e) << 2;
    attendHead(qh, ldq, k + kvg, v + kvg, ldkv, out + ((<usize>b * seq * ldq + h * e) << 2),
      lse + ((<usize>b * seq * heads + h) << 2), heads, seq, 0, window, e, scale, scratch, pack);
  }
}

/** Attention of the new queries (positions past ..) over every cached position.
 *  q, out [Bt, Tq, H * E]; kNew, vNew [Bt, Tq, Hk * E]; kCache, vCache [Bt, C, Hk * E];
 *  scratch [threads, BQ, past + Tq]. The new rows must already be in the caches (attentionDecodeAppend). */
export function attentionDecode(
  q: usize, kCache: usize, vCache: usize, out: usize, batch: i32, tq: i32, heads: i32, kvHeads: i32, e: i32,
  capacity: i32, past: i32, window: i32, scratch: usize, pack: usize, chunk: i32, chunks: i32, thread: i32,
): void {
  const group = heads / kvHeads, scale = <f32>(1 / Math.sqrt(e));
  const ldq = heads * e, ldkv = kvHeads * e;
  scratch += (<usize>thread * attentionScratch(past + tq, false)) << 2;
  pack += <usize>thread * PACK_BYTES;
  const p0 = partStart(batch * heads, chunk, chunks, 1), p1 = partStart(batch * heads, chunk + 1, chunks, 1);
  for (let p = p0; p < p1; p++) {
    const b = p / heads, h = p % heads, g = h / group;
    const qh = (<usize>b * tq * ldq + h * e) << 2, kvg = (<usize>b * capacity * ldkv + g * e) << 2;
    attendHead(q + qh, ldq, kCache + kvg, vCache + kvg, ldkv, out + qh, 0, 0, tq, past, window, e, scale, scratch, pack);
  }
}

/** Copy kNew, vNew [Bt, Tq, Hk * E] into rows past .. past + Tq - 1 of kCache, vCache [Bt, C, Hk * E]. */
export function attentionDecodeAppend(
  kNew: usize, vNew: usize, kCache: usize, vCache: usize, batch: i32, tq: i32, row: i32, capacity: i32, past: i32,
): void {
  const bytes = (<usize>tq * row) << 2;
  for (let b = 0; b < batch; b++) {
    const src = (<usize>b * tq * row) << 2, dst = ((<usize>b * capacity + past) * row) << 2;
    memory.copy(kCache + dst, kNew + src, bytes);
    memory.copy(vCache + dst, vNew + src, bytes);
  }
}

/** dq, dk, dv of `attention`.  q, dout, dq [Bt, T, H * E]; k, v, dk, dv [Bt, T, Hk * E]; lse [Bt * T, H];
 *  dk, dv and partial arrive zeroed and are accumulated into. scratch [threads, 2, BQ, T];
 *  partial [threads - 1, 2, Bt, T, Hk * E] (dk, dv of threads 1..); pack [threads] x PACK_BYTES. */
export function attentionBackward(
  q: usize, k: usize, v: usize, lse: usize, dout: usize, dq: usize, dk: usize, dv: usize,
  batch: i32, seq: i32, heads: i32, kvHeads: i32, e: i32, window: i32,
  scratch: usize, partial: usize, pack: usize, chunk: i32, chunks: i32, thread: i32,
): void {
  const group = heads / kvHeads, scale = <f32>(1 / Math.sqrt(e));
  const ldq = heads * e, ldkv = kvHeads * e;
  if (thread > 0) {
    const kvBytes = (<usize>batch * seq * ldkv) << 2;
    dk = partial + <usize>(thread - 1) * 2 * kvBytes;
    dv = dk + kvBytes;
  }
  const probs = scratch + ((<usize>thread * attentionScratch(seq, true)) << 2);
  const dscores = probs + ((<usize>BQ * seq) << 2);
  pack += <usize>thread * PACK_BYTES;
  const p0 = partStart(batch * heads, chunk, chunks, 1), p1 = partStart(batch * heads, chunk + 1, chunks, 1);
  for (let p = p0; p < p1; p++) {
    const b = p / heads, h = p % heads, g = h / group;
    const qh = (<usize>b * seq * ldq + h * e) << 2, kvg = (<usize>b * seq * ldkv + g * e) << 2;
    for (let r0 = 0; r0 < seq; r0 += BQ) {
      const m = min(BQ, seq - r0);
      const c0 = firstKey(r0, window), c1 = r0 + m;
      const width = c1 - c0;
      const rowQ = qh + ((<usize>r0 * ldq) << 2), colKV = kvg + ((<usize>c0 * ldkv) << 2);
      sgemm(false, true, m, width, e, scale, q + rowQ, ldq, k + colKV, ldkv, false, probs, width, pack);
      sgemm(false, true, m, width, e, 1, dout + rowQ, ldq, v + colKV, ldkv, false, dscores, width, pack);
      for (let i = 0; i < m; i++) {
        const pos = r0 + i;
        const lo = firstKey(pos, window) - c0, hi = pos + 1 - c0;
        backwardRow(probs + ((<usize>i * width) << 2), dscores + ((<usize>i * width) << 2), width, lo, hi,
          load<f32>(lse + ((<usize>(b * seq + pos) * heads + h) << 2)), scale);
      }
      sgemm(false, false, m, e, width, 1, dscores, width, k + colKV, ldkv, false, dq + rowQ, ldq, pack);
      sgemm(true, false, width, e, m, 1, dscores, width, q + rowQ, ldq, true, dk + colKV, ldkv, pack);
      sgemm(true, false, width, e, m, 1, probs, width, dout + rowQ, ldq, true, dv + colKV, ldkv, pack);
    }
  }
}

/** One row of backward: p = exp(s - lse) on [lo, hi) (s is already scaled), delta = sum_j p dp (which is
 *  rowsum(dout * out), the softmax Jacobian's correction, formed from this row's own dp so that a row with one
 *  visible key gets ds = 0 exactly), ds = p (dp - delta) scale; both zero outside.
 *  pr: s in, p out; dr: dp in, ds out; both [width]. */
function backwardRow(pr: usize, dr: usize, width: i32, lo: i32, hi: i32, lse: f32, scale: f32): void {
  const vl = f32x4.splat(lse);
  let acc = f32x4.splat(0);
  let tail: f32 = 0;
  let j = lo;
  for (; j + 4 <= hi; j += 4) {
    const at = <usize>j << 2;
    const p = expv(f32x4.sub(v128.load(pr + at), vl));
    v128.store(pr + at, p);
    acc = f32x4.add(acc, f32x4.mul(p, v128.load(dr + at)));
  }
  for (; j < hi; j++) {
    const at = <usize>j << 2;
    const p = f32x4.extract_lane(expv(f32x4.splat(load<f32>(pr + at) - lse)), 0);
    store<f32>(pr + at, p);
    tail += p * load<f32>(dr + at);
  }
  const delta = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3) + tail;
  const vd = f32x4.splat(delta), vs = f32x4.splat(scale);
  j = lo;
  for (; j + 4 <= hi; j += 4) {
    const at = <usize>j << 2;
    v128.store(dr + at, f32x4.mul(f32x4.mul(v128.load(pr + at), f32x4.sub(v128.load(dr + at), vd)), vs));
  }
  for (; j < hi; j++) {
    const at = <usize>j << 2;
    store<f32>(dr + at, load<f32>(pr + at) * (load<f32>(dr + at) - delta) * scale);
  }
  maskOutside(pr, width, lo, hi);
  maskOutside(dr, width, lo, hi);
}
