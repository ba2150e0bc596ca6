// The kernel of embedding.wgsl: gathers table rows by token id; the ids travel in the upload ring
// (device.ts). A table over the binding limit (a large vocabulary) is gathered one window of rows at a
// time; a float16 table (a half-precision weight) is read through unpack2x16float, in windows alike.
// Ids and shapes are checked by the caller (runtime/shapes.ts embeddingDims).
import type { EmbeddingDims } from '../runtime/shapes.js';
import { type GpuContext, rowWindow, rowsPerWindow } from './device.js';
import { kernel } from './kernel.js';
import src from './embedding.wgsl';

const TABLE = {
  f32: '@group(0) @binding(2) var<storage, read> table: array<f32>;\nfn tableAt(i: u32) -> f32 { return table[i]; }\n',
  f16: '@group(0) @binding(2) var<storage, read> table: array<u32>;\n' +
    'fn tableAt(i: u32) -> f32 { return unpack2x16float(table[i >> 1u])[i & 1u]; }\n',
};

interface Window { count: number; width: number; row0: number; rows: number }

const EMBEDDING = Object.fromEntries((['f32', 'f16'] as const).map((type) => [type, kernel({
  name: `embedding ${type}`, module: `embedding.wgsl ${type}`, source: TABLE[type] + src, entry: 'main', wg: 64,
  bindings: ['ids', 'table', 'out'], u32: (w: Window) => [w.count, w.width, w.row0, w.rows], size: (w) => w.count,
})])) as Record<'f32' | 'f16', ReturnType<typeof kernel<Window>>>;

/** out[n, :] = table[ids[n], :].  table [V, D] (float16 when `half`), out [N, D]. */
export function embedding(ctx: GpuContext, label: string, ids: Int32Array, table: GPUBuffer, out: GPUBuffer,
  d: EmbeddingDims, half: boolean): void {
  const { vocab, width } = d;
  const idBuf = ctx.staged(ids, 'token ids');
  const count = ids.length * width;
  const elementBytes = half ? 2 : 4;
  const chunk = rowsPerWindow(ctx, vocab, [{ bytes: table.size, cols: width, elementBytes }], `${label}: table`);
  for (let row0 = 0; row0 < vocab; row0 += chunk) {
    const rows = Math.min(chunk, vocab - row0);
    const window = chunk === vocab ? table : rowWindow(table, row0, rows, width, elementBytes);
    ctx.launch(EMBEDDING[half ? 'f16' : 'f32'], chunk === vocab ? label : `${label} (rows ${row0}+${rows})`,
      { count, width, row0, rows }, [idBuf, window, out]);
  }
}
