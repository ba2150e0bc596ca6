// The two block-indexing primitives (runtime/backend.ts fold, tile; docs/blocks.md): a wide row of W columns
// cut into chunks of width R (asm/blocks/plan.ts), the last one partial when W mod R != 0, as if zero-padded. The
// padding is never stored: a partial chunk only touches its W mod R real columns. Bone folds and tiles over
// in_features (R = r), mini over out_features (R = mini_r), a bias tiles one row of O over N * O.
// No bounds checks (TypeScript edge). Letters: N rows, W wide columns, R narrow columns.
import { chunkCount, chunkStart, chunkWidth } from '../blocks/plan';
import { addRow } from './rows';

/** narrow[n, j] = sum_t wide[n, t R + j].  wide [N, W], narrow [N, R] (overwritten). */
export function fold(wide: usize, narrow: usize, n: i32, w: i32, r: i32): void {
  const chunks = chunkCount(w, r);
  for (let t = 0; t < n; t++) {
    const row = wide + ((<usize>t * w) << 2);
    const out = narrow + ((<usize>t * r) << 2);
    memory.fill(out, 0, <usize>r << 2);
    for (let k = 0; k < chunks; k++) addRow(out, row + (<usize>chunkStart(k, r) << 2), chunkWidth(k, w, r));
  }
}

/** wide[n, c] += narrow[n, c mod R].  narrow [N, R], wide [N, W]. */
export function tile(narrow: usize, wide: usize, n: i32, w: i32, r: i32): void {
  for (let t = 0; t < n; t++) tileRow(narrow + ((<usize>t * r) << 2), wide + ((<usize>t * w) << 2), w, r);
}

/** row[c] += src[c mod R] for c < width.  src [R], row [width]. */
export function tileRow(src: usize, row: usize, width: i32, r: i32): void {
  const chunks = chunkCount(width, r);
  for (let k = 0; k < chunks; k++) addRow(row + (<usize>chunkStart(k, r) << 2), src, chunkWidth(k, width, r));
}
