// Bone / mini merge and unmerge (runtime/backend.ts blockDelta): w[o, c] += sign * b[c mod R, o mod M], the
// tiled B^T of docs/blocks.md ("Merge and unmerge"), applied row by row so the [O, I] delta is never formed.
// Padding as in Bone: the last partial chunk of a row uses the first I mod R rows of b (in < R included).
// No bounds checks (TypeScript edge); the caller passes `scratch` of M * R floats.
// Letters: O out_features, I in_features, R block size, M = O for Bone or mini_r.
import { tileRow } from './fold';

/** w[o, c] += sign * b[c mod R, o mod M].  b [R, M], w [O, I], scratch [M, R]. */
export function blockDelta(b: usize, w: usize, out: i32, inF: i32, r: i32, m: i32, sign: f32, scratch: usize): void {
  // scratch[q, j] = sign * b[j, q]: row q is what every weight row o with o mod M == q adds, chunk by chunk.
  for (let j = 0; j < r; j++) {
    for (let q = 0; q < m; q++) {
      store<f32>(scratch + ((<usize>q * r + j) << 2), sign * load<f32>(b + ((<usize>j * m + q) << 2)));
    }
  }
  for (let o = 0; o < out; o++) {
    tileRow(scratch + ((<usize>(o % m) * r) << 2), w + ((<usize>o * inF) << 2), inF, r);
  }
}
