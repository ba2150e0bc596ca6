// Launcher for embedding.wgsl: gathers table rows by token id; the ids travel in a reusable upload slot
// (reusable.ts). A table over the binding limit (a large vocabulary) is gathered one window of rows at a
// time; a float16 table (a half-precision weight) is read through unpack2x16float and must fit one binding.
// Ids and shapes are checked by the caller (runtime/model/op-shapes.ts embeddingDims).
import { type GpuContext, grid, params, rowWindow, rowsPerWindow } from './device.js';
import type { HostUploads } from './reusable.js';
import src from './embedding.wgsl';

const WG = 64;

const TABLE = {
  f32: '@group(0) @binding(2) var<storage, read> table: array<f32>;\nfn tableAt(i: u32) -> f32 { return table[i]; }\n',
  f16: '@group(0) @binding(2) var<storage, read> table: array<u32>;\n' +
    'fn tableAt(i: u32) -> f32 { return unpack2x16float(table[i >> 1u])[i & 1u]; }\n',
};

export class EmbeddingKernel {
  private readonly pipes: Partial<Record<'f32' | 'f16', GPUComputePipeline>> = {};
  constructor(private readonly ctx: GpuContext, private readonly uploads: HostUploads) {}

  /** out[n, :] = table[ids[n], :].  table [V, D] (float16 when `half`), out [N, D]. */
  encode(label: string, ids: Int32Array, table: GPUBuffer, out: GPUBuffer, vocab: number, width: number, half = false): void {
    const type = half ? 'f16' : 'f32';
    const pipe = (this.pipes[type] ??= this.ctx.pipeline(`embedding ${type}`,
      this.ctx.module(`embedding.wgsl ${type}`, TABLE[type] + src), 'main', { WG }));
    if (half && table.size > this.ctx.maxBinding) {
      throw new Error(`[embedding] ${label}: a float16 table over the binding limit of ${this.ctx.maxBinding} bytes; ` +
        'load this model with halfWeights: false (float32 tables are gathered a window of rows at a time)');
    }
    const idBuf = this.uploads.buffer('token ids', ids);
    const count = ids.length * width;
    const chunk = rowsPerWindow(this.ctx, table.size, vocab, width, `${label}: table`);
    for (let row0 = 0; row0 < vocab; row0 += chunk) {
      const rows = Math.min(chunk, vocab - row0);
      const window = chunk === vocab ? table : rowWindow(table, row0, rows, width);
      this.ctx.dispatch(chunk === vocab ? label : `${label} (rows ${row0}+${rows})`, pipe,
        params([count, width, row0, rows]), [idBuf, window, out], grid(this.ctx, count, WG));
    }
  }
}
