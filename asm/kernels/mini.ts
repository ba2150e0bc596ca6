// mini's tiling (runtime/backend.ts tileAdd, foldSum): the output columns O cut into O / M whole tiles of width
// M. That is Bone's chunk map applied to O with R = M and no partial chunk (O % M == 0 is checked at the
// TypeScript edge), so both ops are the Bone kernels under mini's names (/work/shared/docs/BONE.md, "mini").
// Letters: N tokens, O out_features, M mini_r.
import { chunkScatterAdd, chunkSum } from './bone';

/** y[n, o] += p[n, o mod M].  p [N, M], y [N, O]. */
export function tileAdd(p: usize, y: usize, n: i32, out: i32, m: i32): void {
  chunkScatterAdd(p, y, n, out, m);
}

/** g~[n, m] = sum_t g[n, t M + m].  g [N, O], g~ [N, M] (overwritten). */
export function foldSum(g: usize, folded: usize, n: i32, out: i32, m: i32): void {
  chunkSum(g, folded, n, out, m);
}
