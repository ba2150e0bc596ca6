// Cross-entropy of softmax rows against integer targets (runtime/backend.ts crossEntropy; reference
// runtime/reference/ops.ts), for vocabularies up to ~150k: per row a max pass, one exp pass that sums in
// float64 lanes (and, when the gradient is wanted, stores exp(x - max) into dlogits), then one scaling pass.
// Rows are shared among threads in chunks (parts.ts); each row's loss term goes to rowLoss so that the mean is summed in
// row order by the caller, whatever the thread count. No bounds checks, targets already validated
// (runtime/shapes.ts). Letters: N rows, V vocabulary.
import { expv } from './exp';
import { partStart } from './parts';

const IGNORE: i32 = -100;

/** max_j row[j].  row [V]. */
function rowMax(row: usize, vocab: i32): f32 {
  let acc = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= vocab; j += 4) acc = f32x4.max(acc, v128.load(row + (<usize>j << 2)));
  let m = max(max(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)), max(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)));
  for (; j < vocab; j++) m = max(m, load<f32>(row + (<usize>j << 2)));
  return m;
}

/** sum_j exp(row[j] - shift) in float64, storing each exp into `dst` when dst != 0.  row, dst [V]. */
function rowExpSum(row: usize, dst: usize, vocab: i32, shift: f32): f64 {
  const s = f32x4.splat(shift);
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= vocab; j += 4) {
    const at = <usize>j << 2;
    const e = expv(f32x4.sub(v128.load(row + at), s));
    if (dst) v128.store(dst + at, e);
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
  }
  let sum = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
  for (; j < vocab; j++) {
    const at = <usize>j << 2;
    const e = f32x4.extract_lane(expv(f32x4.splat(load<f32>(row + at) - shift)), 0);
    if (dst) store<f32>(dst + at, e);
    sum += e;
  }
  return sum;
}

/** row[j] *= scale.  row [V]. */
function rowScale(row: usize, vocab: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= vocab; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), s));
  for (; j < vocab; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * scale);
}

/** rowLoss[n] = logsumexp(logits[n]) - logits[n, targets[n]] (0 for ignored rows); when dlogits != 0,
 *  dlogits[n] = (softmax(logits[n]) - onehot(targets[n])) / count (zero rows where ignored).
 *  logits, dlogits [N, V]; targets [N] (i32); rowLoss [N] (f64). */
export function crossEntropy(
  logits: usize, targets: usize, dlogits: usize, rowLoss: usize, n: i32, vocab: i32, count: i32,
  chunk: i32, chunks: i32, thread: i32,
): void {
  const r0 = partStart(n, chunk, chunks, 1), r1 = partStart(n, chunk + 1, chunks, 1);
  const rowBytes = <usize>vocab << 2;
  for (let t = r0; t < r1; t++) {
    const row = logits + <usize>t * rowBytes;
    const drow = dlogits ? dlogits + <usize>t * rowBytes : 0;
    const target = load<i32>(targets + (<usize>t << 2));
    if (target == IGNORE) {
      store<f64>(rowLoss + (<usize>t << 3), 0);
      if (drow) memory.fill(drow, 0, rowBytes);
      continue;
    }
    const m = rowMax(row, vocab);
    const sum = rowExpSum(row, drow, vocab, m);
    const x = load<f32>(row + (<usize>target << 2));
    store<f64>(rowLoss + (<usize>t << 3), <f64>m + Math.log(sum) - <f64>x);
    if (drow) {
      // exp(x - max) / sum / count, with 1 / (sum count) rounded once.
      rowScale(drow, vocab, <f32>(1 / (sum * count)));
      const at = drow + (<usize>target << 2);
      store<f32>(at, load<f32>(at) - <f32>(1 / <f64>count));
    }
  }
}
