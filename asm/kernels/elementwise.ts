// Element-wise ops (runtime/backend.ts swiglu, swigluBackward, add; runtime/backend.ts dropout; references
// in runtime/reference/): f32x4 bodies and scalar tails through the same vector formula (one lane used),
// each chunk a contiguous slice of whole vectors (parts.ts). No bounds checks (TypeScript edge).
// Letters: P elements (any shape, the same size for every operand).
import { expv } from './exp';
import { partStart } from './parts';
import { addRow } from './rows';

/** sigmoid(g) = 1 / (1 + exp(-g)) per lane. */
// @ts-ignore: decorator
@inline function sigmoid(g: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expv(f32x4.neg(g))));
}

/** silu(g) up per lane. */
// @ts-ignore: decorator
@inline function swigluv(g: v128, u: v128): v128 {
  return f32x4.mul(f32x4.mul(g, sigmoid(g)), u);
}

/** out = silu(gate) up, silu(g) = g sigmoid(g).  gate, up, out [P]. */
export function swiglu(gate: usize, up: usize, out: usize, count: i32, chunk: i32, chunks: i32, thread: i32): void {
  const start = partStart(count, chunk, chunks, 4), end = partStart(count, chunk + 1, chunks, 4);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, swigluv(v128.load(gate + at), v128.load(up + at)));
  }
  for (; i < end; i++) {
    const at = <usize>i << 2;
    store<f32>(out + at, f32x4.extract_lane(swigluv(f32x4.splat(load<f32>(gate + at)), f32x4.splat(load<f32>(up + at))), 0));
  }
}

/** dup and dgate at byte offset `at` from gate g, up u, dout d: all four lanes, or only lane 0 (a tail). */
// @ts-ignore: decorator
@inline function swigluGradAt(dgate: usize, dup: usize, at: usize, g: v128, u: v128, d: v128, whole: bool): void {
  const one = f32x4.splat(1);
  const s = sigmoid(g);
  const du = f32x4.mul(f32x4.mul(d, g), s);
  const dg = f32x4.mul(f32x4.mul(f32x4.mul(d, u), s), f32x4.add(one, f32x4.mul(g, f32x4.sub(one, s))));
  if (whole) {
    v128.store(dup + at, du);
    v128.store(dgate + at, dg);
  } else {
    store<f32>(dup + at, f32x4.extract_lane(du, 0));
    store<f32>(dgate + at, f32x4.extract_lane(dg, 0));
  }
}

/** dup = dout silu(g); dgate = dout up s (1 + g (1 - s)), s = sigmoid(g).  All [P]. */
export function swigluBackward(gate: usize, up: usize, dout: usize, dgate: usize, dup: usize, count: i32, chunk: i32, chunks: i32, thread: i32): void {
  const start = partStart(count, chunk, chunks, 4), end = partStart(count, chunk + 1, chunks, 4);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const at = <usize>i << 2;
    swigluGradAt(dgate, dup, at, v128.load(gate + at), v128.load(up + at), v128.load(dout + at), true);
  }
  for (; i < end; i++) {
    const at = <usize>i << 2;
    swigluGradAt(dgate, dup, at, f32x4.splat(load<f32>(gate + at)), f32x4.splat(load<f32>(up + at)), f32x4.splat(load<f32>(dout + at)), false);
  }
}

/** y += a.  a, y [P]. */
export function add(a: usize, y: usize, count: i32, chunk: i32, chunks: i32, thread: i32): void {
  const start = partStart(count, chunk, chunks, 4), end = partStart(count, chunk + 1, chunks, 4);
  addRow(y + (<usize>start << 2), a + (<usize>start << 2), end - start);
}

/** Inverted dropout (runtime/backend.ts dropout, dropoutKeeps): out[i] = x[i] scale where the u32 hash of
 *  (seed, i) is >= threshold, else 0. Lane-wise u32 arithmetic, so every index gets exactly the reference's
 *  bit.  x, out [P] (may alias). */
export function dropout(x: usize, out: usize, count: i32, seed: u32, threshold: u32, scale: f32, chunk: i32, chunks: i32, thread: i32): void {
  const start = partStart(count, chunk, chunks, 4), end = partStart(count, chunk + 1, chunks, 4);
  const salt = i32x4.splat(<i32>(seed * 0x85ebca77)), limit = i32x4.splat(<i32>threshold), s = f32x4.splat(scale);
  for (let i = start; i < end; i += 4) {
    let h = i32x4.add(i32x4.mul(i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3)), i32x4.splat(<i32>0x9e3779b1)), salt);
    h = v128.xor(h, i32x4.shr_u(h, 16));
    h = i32x4.mul(h, i32x4.splat(0x7feb352d));
    h = v128.xor(h, i32x4.shr_u(h, 15));
    h = i32x4.mul(h, i32x4.splat(<i32>0x846ca68b));
    h = v128.xor(h, i32x4.shr_u(h, 16));
    const at = <usize>i << 2;
    if (i + 4 <= end) {
      v128.store(out + at, v128.and(f32x4.mul(v128.load(x + at), s), i32x4.ge_u(h, limit)));
    } else {
      // The tail: lane j of this vector is element i + j.
      for (let j = 0; j < end - i; j++) {
        const keep = (<u32>i32x4.extract_lane(h, 0)) >= threshold; // lane 0 of the hash, shifted below
        store<f32>(out + at + (<usize>j << 2), keep ? load<f32>(x + at + (<usize>j << 2)) * scale : 0);
        h = i32x4.shuffle(h, h, 1, 2, 3, 0);
      }
    }
  }
}
