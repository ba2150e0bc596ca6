// Bat (block-affine) kernels (runtime/backend.ts blockAffine, batGrad; docs/blocks.md, "Bat").
// Both walk the output blocks i one at a time. Within block i, the [R, I] strip of a row-major [O, I] matrix is
// also an [I, R] matrix with leading dimension R whose rows are the rows of every block (i, k) (asm/blocks/plan.ts), so
// the per-block products over all k become single sgemm calls, and the identity and bias terms are chunk sums,
// tiled copies and a shifted diagonal. Nothing [O, I]-sized is ever allocated: batGrad keeps a few [R, I] strips of g^T x, blockAffine none.
// Threads share the output blocks i in chunks (parts.ts); `pack` holds one matmul.ts scratch (PACK_BYTES) per
// thread, blockAffine's `shifted` one [R, R] square and batGrad's `strips` BAT_GROUP [R, I] strips per thread. No bounds checks (TypeScript edge).
// Letters: N tokens, O out_features, I in_features, R block size.
import { batBlocks, batDiagonal, batSquare, batStrip } from '../blocks/plan';
import { fold } from './fold';
import { PACK_BYTES, sgemm } from './matmul';
import { partStart } from './parts';

/** dst_ik = w_ik (I + m_i) + c_i.  w, dst [O, I]; m, c [O/R, R, R]; dst does not alias w;
 *  shifted [threads, R, R] scratch. */
export function blockAffine(
  w: usize, m: usize, c: usize, dst: usize, out: i32, inF: i32, r: i32, shifted: usize, pack: usize,
  chunk: i32, chunks: i32, thread: i32,
): void {
  const i0 = partStart(batBlocks(out, r), chunk, chunks, 1), i1 = partStart(batBlocks(out, r), chunk + 1, chunks, 1);
  pack += <usize>thread * PACK_BYTES;
  shifted += (<usize>thread * r * r) << 2;
  for (let i = i0; i < i1; i++) {
    const strip = <usize>batStrip(i, r, inF) << 2;
    const square = <usize>batSquare(i, r) << 2;
    // dst starts as c_i on every block (i, k): c_i's rows tiled along the strip's R rows of width I, written
    // without reading w, so that the product below is the only pass that reads and adds.
    for (let a = 0; a < r; a++) {
      const row = c + square + ((<usize>a * r) << 2);
      const to = dst + strip + ((<usize>a * inF) << 2);
      for (let k = 0; k < inF; k += r) memory.copy(to + (<usize>k << 2), row, <usize>r << 2);
    }
    // + w_ik (I + m_i) for every k at once: [I, R] = [I, R] x [R, R] in the strip's [I, R] view.
    memory.copy(shifted, m + square, (<usize>r * r) << 2);
    for (let j = 0; j < r; j++) {
      const diagonal = shifted + (<usize>batDiagonal(j, r) << 2);
      store<f32>(diagonal, load<f32>(diagonal) + 1);
    }
    sgemm(false, false, inF, r, r, 1, w + strip, r, shifted, r, true, dst + strip, r, pack);
  }
}

/** Output blocks whose g^T x strips one sgemm forms at once: x's packed panels then serve GROUP * R rows of the
 *  product instead of R (at R = 64, packing x once per block cost a third of the product's time). */
export const BAT_GROUP = 4;

/** db_i = sum_k (w_ik + I)^T (g_i^T x_k).  w [O, I], g [N, O], x [N, I], db [O/R, R, R] (overwritten),
 *  strips [threads, BAT_GROUP, R, I] scratch. */
export function batGrad(
  w: usize, g: usize, x: usize, db: usize, n: i32, out: i32, inF: i32, r: i32, strips: usize, pack: usize,
  chunk: i32, chunks: i32, thread: i32,
): void {
  const i0 = partStart(batBlocks(out, r), chunk, chunks, 1), i1 = partStart(batBlocks(out, r), chunk + 1, chunks, 1);
  pack += <usize>thread * PACK_BYTES;
  strips += (<usize>thread * BAT_GROUP * r * inF) << 2;
  for (let first = i0; first < i1; first += BAT_GROUP) {
    const count = min(BAT_GROUP, i1 - first);
    // strips = g_i^T x [R, I] for the group's blocks i, one after another: block k of strip i is g_i^T x_k.
    sgemm(true, false, count * r, inF, n, 1, g + (<usize>(first * r) << 2), out, x, inF, false, strips, inF, pack);
    for (let i = first; i < first + count; i++) {
      const strip = strips + ((<usize>(i - first) * r * inF) << 2);
      const square = db + (<usize>batSquare(i, r) << 2);
      // The identity part: sum_k tile_k, a fold of the strip's R rows.
      fold(strip, square, r, inF, r);
      // sum_k w_ik^T tile_k: contract the (row j, block k) pairs of both strips' [I, R] views.
      sgemm(true, false, r, r, inF, 1, w + (<usize>batStrip(i, r, inF) << 2), r, strip, r, true, square, r, pack);
    }
  }
}
