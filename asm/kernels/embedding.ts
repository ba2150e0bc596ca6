// Token embedding lookup (runtime/backend.ts embedding): one row copy per token. The ids were checked
// against the vocabulary at the TypeScript edge (runtime/shapes.ts). Letters: N tokens, D width.

/** out[n, :] = table[ids[n], :].  ids [N] (i32), table [V, D], out [N, D]. */
export function embedding(ids: usize, table: usize, out: usize, n: i32, width: i32): void {
  const row = <usize>width << 2;
  for (let t = 0; t < n; t++) {
    memory.copy(out + <usize>t * row, table + <usize>load<i32>(ids + (<usize>t << 2)) * row, row);
  }
}
