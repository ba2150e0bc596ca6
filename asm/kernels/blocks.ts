// Block indexing shared by the kernels: the chunk map of Bone (input columns cut into chunks of width R, the
// last one partial), the mini fold (output columns cut into O / M whole tiles of width M) and the Bat block
// walk (output block i, input block k of an [O, I] weight, all k of one i at a time). Plain integer arithmetic only, in the portable
// subset of AssemblyScript (no memory access, no SIMD), so the same formulas can size and place GPU
// dispatches. It deliberately does no bounds checking: the TypeScript edge (runtime/op-shapes.ts) has done it.
// Math: /work/shared/docs/BONE.md; letters as in runtime/backend.ts (N, I, O, R, M).

/** Number of chunks of width `r` that cover `width` columns, the last one possibly partial (zero padding). */
export function chunkCount(width: i32, r: i32): i32 {
  return (width + r - 1) / r;
}

/** First column of chunk `k`. */
export function chunkStart(k: i32, r: i32): i32 {
  return k * r;
}

/** Columns of chunk `k` that exist: `r`, or `width mod r` for a partial last chunk (in < r included). */
export function chunkWidth(k: i32, width: i32, r: i32): i32 {
  const left = width - k * r;
  return left < r ? left : r;
}

// mini's fold is this same chunk map over the output columns with width M: O % M == 0 (checked at the edge),
// so it has O / M whole chunks and no partial one.

// Bat: the R rows of output block i form an [R, I] strip that starts at element i R I. Because I is a multiple
// of R, that strip is, unchanged in memory, an [I, R] matrix with leading dimension R whose row (a, k) =
// a (I / R) + k is row a of block (i, k). Block products over all k at once are therefore plain matmuls.

/** First element of output block i's [R, I] strip in a row-major [O, I] weight (also of its [I, R] view). */
export function batStrip(i: i32, r: i32, inF: i32): i32 {
  return i * r * inF;
}

/** First element of block i of an [O/R, R, R] block tensor (Bat's m, c and db). */
export function batSquare(i: i32, r: i32): i32 {
  return i * r * r;
}
