// Bat (block-affine) kernels (runtime/backend.ts blockAffine, batGrad; /work/shared/docs/BONE.md, "Bat").
// Both walk the output blocks i one at a time. Within block i, the [R, I] strip of a row-major [O, I] matrix is
// also an [I, R] matrix with leading dimension R whose rows are the rows of every block (i, k) (blocks.ts), so
// the per-block products over all k become single sgemm calls and the identity / bias terms are Bone's chunk
// kernels. Nothing [O, I]-sized is ever allocated: batGrad keeps one [R, I] strip of g^T x, blockAffine none.
// No bounds checks (TypeScript edge); `pack` is matmul.ts scratch (PACK_BYTES).
// Letters: N tokens, O out_features, I in_features, R block size.
import { batSquare, batStrip } from './blocks';
import { chunkScatterAdd, chunkSum } from './bone';
import { sgemm } from './matmul';

/** dst_ik = w_ik (I + m_i) + c_i.  w, dst [O, I]; m, c [O/R, R, R]; dst does not alias w. */
export function blockAffine(w: usize, m: usize, c: usize, dst: usize, out: i32, inF: i32, r: i32, pack: usize): void {
  memory.copy(dst, w, (<usize>out * inF) << 2);
  for (let i = 0; i < out / r; i++) {
    const strip = <usize>batStrip(i, r, inF) << 2;
    const square = <usize>batSquare(i, r) << 2;
    // + c_i on every block (i, k): c_i's rows tiled along the strip's R rows of width I.
    chunkScatterAdd(c + square, dst + strip, r, inF, r);
    // + w_ik m_i for every k at once: [I, R] = [I, R] x [R, R] in the strip's [I, R] view.
    sgemm(false, false, inF, r, r, 1, w + strip, r, m + square, r, true, dst + strip, r, pack);
  }
}

/** db_i = sum_k (w_ik + I)^T (g_i^T x_k).  w [O, I], g [N, O], x [N, I], db [O/R, R, R] (overwritten),
 *  strip [R, I] scratch. */
export function batGrad(
  w: usize, g: usize, x: usize, db: usize, n: i32, out: i32, inF: i32, r: i32, strip: usize, pack: usize,
): void {
  for (let i = 0; i < out / r; i++) {
    const square = db + (<usize>batSquare(i, r) << 2);
    // strip = g_i^T x [R, I]: block k of it is the R x R tile g_i^T x_k.
    sgemm(true, false, r, inF, n, 1, g + (<usize>(i * r) << 2), out, x, inF, false, strip, inF, pack);
    // The identity part: sum_k tile_k, Bone's chunk sum over the strip's R rows.
    chunkSum(strip, square, r, inF, r);
    // sum_k w_ik^T tile_k: contract the (row j, block k) pairs of both strips' [I, R] views.
    sgemm(true, false, r, r, inF, 1, w + (<usize>batStrip(i, r, inF) << 2), r, strip, r, true, square, r, pack);
  }
}
