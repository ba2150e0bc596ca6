// Launcher for embedding.wgsl: gathers table rows by token id; the ids travel in a reusable upload slot
// (reusable.ts). A table over the binding limit (a large vocabulary) is gathered one window of rows at a
// time. Ids and shapes are checked by the caller (runtime/model/op-shapes.ts embeddingDims).
import { type GpuContext, grid, params, rowWindow, rowsPerWindow } from './device.js';
import type { HostUploads } from './reusable.js';
import src from './embedding.wgsl';

const WG = 64;

export class EmbeddingKernel {
  private pipe: GPUComputePipeline | undefined;
  constructor(private readonly ctx: GpuContext, private readonly uploads: HostUploads) {}

  /** out[n, :] = table[ids[n], :].  table [V, D], out [N, D]. */
  encode(label: string, ids: Int32Array, table: GPUBuffer, out: GPUBuffer, vocab: number, width: number): void {
    this.pipe ??= this.ctx.pipeline('embedding', this.ctx.module('embedding.wgsl', src), 'main', { WG });
    const idBuf = this.uploads.buffer('token ids', ids);
    const count = ids.length * width;
    const chunk = rowsPerWindow(this.ctx, table.size, vocab, width, `${label}: table`);
    for (let row0 = 0; row0 < vocab; row0 += chunk) {
      const rows = Math.min(chunk, vocab - row0);
      const window = chunk === vocab ? table : rowWindow(table, row0, rows, width);
      this.ctx.dispatch(chunk === vocab ? label : `${label} (rows ${row0}+${rows})`, this.pipe,
        params([count, width, row0, rows]), [idBuf, window, out], grid(this.ctx, count, WG));
    }
  }
}
