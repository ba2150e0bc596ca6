// Launcher for crossEntropy.wgsl (with reduce.wgsl): per-row log-sum-exp, loss terms and gradient, then
// the mean. The targets travel in a reusable upload slot (reusable.ts); the per-row losses live in a scratch
// [N] that grows with the largest call. Logits over the binding limit (a large vocabulary times many
// tokens) are walked one window of rows at a time. Targets and shapes are checked by the caller
// (runtime/model/op-shapes.ts crossEntropyDims), which also counts the labelled rows.
import { type GpuContext, grid, params, rowWindow, rowsPerWindow } from './device.js';
import { type HostUploads, ScratchBuffer } from './reusable.js';
import reduce from './reduce.wgsl';
import src from './crossEntropy.wgsl';

const WG = 256; // invocations sharing one row: vocabularies run to 150k, so wide workgroups

type Entry = 'rows' | 'rowsGrad' | 'finish';

export class CrossEntropyKernels {
  private readonly pipes: Partial<Record<Entry, GPUComputePipeline>> = {};
  private readonly rowLoss: ScratchBuffer;
  constructor(private readonly ctx: GpuContext, private readonly uploads: HostUploads) {
    this.rowLoss = new ScratchBuffer(ctx, 'crossEntropy row losses');
  }

  private pipe(entry: Entry): GPUComputePipeline {
    return (this.pipes[entry] ??= this.ctx.pipeline(`crossEntropy ${entry}`, this.ctx.module('crossEntropy.wgsl', reduce + src), entry, { WG }));
  }

  /** loss [1] = mean over labelled rows; dlogits [N, V] (overwritten) when given.  logits [N, V]. */
  encode(label: string, logits: GPUBuffer, targets: Int32Array, loss: GPUBuffer, dlogits: GPUBuffer | null,
    rows: number, vocab: number, count: number): void {
    const t = this.uploads.buffer('targets', targets);
    const rowLoss = this.rowLoss.get(rows * 4);
    const chunk = rowsPerWindow(this.ctx, logits.size, rows, vocab, `${label}: logits`);
    const window = (b: GPUBuffer, row0: number, n: number) => (chunk === rows ? b : rowWindow(b, row0, n, vocab));
    for (let row0 = 0; row0 < rows; row0 += chunk) {
      const n = Math.min(chunk, rows - row0);
      const p = params([n, vocab, row0], [1 / count]);
      const what = chunk === rows ? label : `${label} (rows ${row0}+${n})`;
      if (dlogits) this.ctx.dispatch(what, this.pipe('rowsGrad'), p, [window(logits, row0, n), t, rowLoss, window(dlogits, row0, n)], grid(this.ctx, n, 1));
      else this.ctx.dispatch(what, this.pipe('rows'), p, [window(logits, row0, n), t, rowLoss], grid(this.ctx, n, 1));
    }
    this.ctx.dispatch(`${label} (mean)`, this.pipe('finish'), params([rows, vocab, 0], [1 / count]), [rowLoss, loss], [1, 1, 1]);
  }
}
