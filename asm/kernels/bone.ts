// Bone's block indexing (runtime/backend.ts chunkSum, chunkScatterAdd): x [N, I] cut into ceil(I / R) chunks
// of width R, the last one partial, as if zero-padded (/work/shared/docs/BONE.md, "Bone"). The padding is never
// stored: a partial chunk only touches its `I mod R` real columns. No bounds checks (TypeScript edge).
// Letters: N tokens, I in_features (any width being chunked), R block size.
import { chunkCount, chunkStart, chunkWidth } from './blocks';
import { addRow } from './rows';

/** s[n, j] = sum_k x[n, k R + j].  x [N, I], s [N, R] (overwritten). */
export function chunkSum(x: usize, s: usize, n: i32, inF: i32, r: i32): void {
  const chunks = chunkCount(inF, r);
  for (let t = 0; t < n; t++) {
    const row = x + ((<usize>t * inF) << 2);
    const out = s + ((<usize>t * r) << 2);
    memory.fill(out, 0, <usize>r << 2);
    for (let k = 0; k < chunks; k++) addRow(out, row + (<usize>chunkStart(k, r) << 2), chunkWidth(k, inF, r));
  }
}

/** dx[n, c] += ds[n, c mod R].  ds [N, R], dx [N, I]. */
export function chunkScatterAdd(ds: usize, dx: usize, n: i32, inF: i32, r: i32): void {
  for (let t = 0; t < n; t++) scatterRow(ds + ((<usize>t * r) << 2), dx + ((<usize>t * inF) << 2), inF, r);
}

/** row[c] += src[c mod R] for c < width.  src [R], row [width]. */
export function scatterRow(src: usize, row: usize, width: i32, r: i32): void {
  const chunks = chunkCount(width, r);
  for (let k = 0; k < chunks; k++) addRow(row + (<usize>chunkStart(k, r) << 2), src, chunkWidth(k, width, r));
}
