// The block index plan of Bone, mini and Bat (docs/blocks.md), in one place: how a wide row is cut into
// pieces of width R (fold, tile, blockDelta), where Bat's blocks and their diagonals sit, how many
// invocations each GPU kernel launches, and how batGrad groups its output blocks. Plain integer arithmetic in
// the portable subset of AssemblyScript (no memory access, no SIMD): the CPU kernels (asm/kernels) compile it
// in, and the WebGPU launchers call the same functions through build/blocks.wasm (runtime/blocks.ts), so
// their uniforms and dispatch sizes come from here. No bounds checks: runtime/shapes.ts has made them.
// Letters as in runtime/backend.ts (N rows, W wide columns, R block size, M mini_r, O, I).

/** Pieces of width `r` that cover `width` columns, the last one possibly short (zero padding). */
export function chunkCount(width: i32, r: i32): i32 {
  return (width + r - 1) / r;
}

/** First column of piece `k`. */
export function chunkStart(k: i32, r: i32): i32 {
  return k * r;
}

/** Columns of piece `k` that exist: `r`, or `width mod r` for a short last piece (width < r included). */
export function chunkWidth(k: i32, width: i32, r: i32): i32 {
  const left = width - chunkStart(k, r);
  return left < r ? left : r;
}

/** fold: one invocation per narrow element [N, R]. */
export function foldInvocations(rows: i32, r: i32): i32 {
  return rows * r;
}

/** tile, blockDelta, Bat's affine map: one invocation per wide element [N, W] (or weight element [O, I]). */
export function tileInvocations(rows: i32, width: i32): i32 {
  return rows * width;
}

// Bat: the R rows of output block i form an [R, I] strip that starts at element i R I. Because I is a multiple
// of R, that strip is, unchanged in memory, an [I, R] matrix with leading dimension R whose row (a, k) =
// a (I / R) + k is row a of block (i, k). Block products over all k at once are therefore plain matmuls.

/** Output blocks of an [O, I] weight. */
export function batBlocks(out: i32, r: i32): i32 {
  return out / r;
}

/** First element of output block i's [R, I] strip in a row-major [O, I] weight (also of its [I, R] view). */
export function batStrip(i: i32, r: i32, inF: i32): i32 {
  return i * r * inF;
}

/** First element of block i of an [O/R, R, R] block tensor (Bat's m, c and db). */
export function batSquare(i: i32, r: i32): i32 {
  return i * r * r;
}

/** Offset of diagonal element (j, j) inside an R x R square: where the identity of I + m_i is added. */
export function batDiagonal(j: i32, r: i32): i32 {
  return j * (r + 1);
}

/** Output blocks whose [R, I] slabs of g^T x fit in `bytes` of scratch at once (at least one, at most all). */
export function batGroupBlocks(out: i32, inF: i32, r: i32, bytes: f64): i32 {
  const blocks = batBlocks(out, r);
  const fit = <i32>Math.floor(bytes / (<f64>r * <f64>inF * 4));
  const group = fit < 1 ? 1 : fit;
  return group < blocks ? group : blocks;
}

/** batGrad's reduction of one group: one invocation per element of its `blocks` R x R squares. */
export function batGradInvocations(blocks: i32, r: i32): i32 {
  return blocks * r * r;
}
