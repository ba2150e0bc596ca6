// Token embedding lookup and its gradient (runtime/backend.ts embedding, embeddingBackward): one row per token, widened from f16 when the table
// is a half-precision weight (half.ts). The ids were checked against the vocabulary at the TypeScript edge
// (runtime/shapes.ts). Letters: N tokens, D width.
import { load1, load4 } from './half';

/** out[n, :] = table[ids[n], :].  ids [N] (i32), table [V, D] (f32, or f16 when `half`), out [N, D] f32. */
export function embedding(ids: usize, table: usize, out: usize, n: i32, width: i32, half: bool): void {
  const row = <usize>width << 2;
  for (let t = 0; t < n; t++) {
    const id = <usize>load<i32>(ids + (<usize>t << 2));
    const dst = out + <usize>t * row;
    if (!half) {
      memory.copy(dst, table + id * row, row);
      continue;
    }
    const src = table + ((id * width) << 1);
    let d = 0;
    for (; d + 4 <= width; d += 4) v128.store(dst + (<usize>d << 2), load4(src + (<usize>d << 1)));
    for (; d < width; d++) store<f32>(dst + (<usize>d << 2), load1(src + (<usize>d << 1)));
  }
}

/** dtable[ids[n], :] += dout[n, :], tokens in order (zeroed first unless `accumulate`).  ids [N] (i32),
 *  dout [N, D], dtable [V, D] f32. */
export function embeddingBackward(ids: usize, dout: usize, dtable: usize, n: i32, vocab: i32, width: i32, accumulate: bool): void {
  const row = <usize>width << 2;
  if (!accumulate) memory.fill(dtable, 0, <usize>vocab * row);
  for (let t = 0; t < n; t++) {
    const dst = dtable + <usize>load<i32>(ids + (<usize>t << 2)) * row, src = dout + <usize>t * row;
    let d = 0;
    for (; d + 4 <= width; d += 4) {
      const at = <usize>d << 2;
      v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
    }
    for (; d < width; d++) {
      const at = <usize>d << 2;
      store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
    }
  }
}
