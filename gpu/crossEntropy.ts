// The kernels of crossEntropy.wgsl (with reduce.wgsl): per-row log-sum-exp, loss terms and gradient, then
// the mean. The targets travel in the upload ring (device.ts); the per-row losses live in a scratch
// [N] that grows with the largest call. Logits over the binding limit (a large vocabulary times many
// tokens) are walked one window of rows at a time. Targets and shapes are checked by the caller
// (runtime/shapes.ts crossEntropyDims), which also counts the labelled rows.
import type { LossInto } from '../runtime/backend.js';
import type { CrossEntropyDims } from '../runtime/shapes.js';
import { type GpuContext, rowWindow, rowsPerWindow } from './device.js';
import { kernel } from './kernel.js';
import type { ScratchBuffer } from './reusable.js';
import reduce from './reduce.wgsl';
import src from './crossEntropy.wgsl';

/** rows: rows of this window (one workgroup each), row0: its first row; count: the labelled rows; into: how
 *  the finishing kernel writes the loss. */
interface Window { rows: number; vocab: number; row0: number; count: number; into: LossInto }

const common = {
  module: 'crossEntropy.wgsl', source: reduce + src, wg: 256, // invocations sharing one row: vocabularies run to 150k
  u32: (w: Window) => [w.rows, w.vocab, w.row0, +w.into.accumulate], f32: (w: Window) => [1 / w.count, w.into.weight],
  size: (w: Window) => w.rows, rowPerWorkgroup: true,
};
const ROWS = kernel({ ...common, name: 'crossEntropy rows', entry: 'rows', bindings: ['logits', 'targets', 'rowLoss'] });
const ROWS_GRAD = kernel({ ...common, name: 'crossEntropy rowsGrad', entry: 'rowsGrad', bindings: ['logits', 'targets', 'rowLoss', 'dlogits'] });
const FINISH = kernel({ ...common, name: 'crossEntropy finish', entry: 'finish', bindings: ['rowLoss', 'loss'], size: () => [1, 1, 1] as const });

/** loss [1] (=|+=) weight * mean over labelled rows; dlogits [N, V] (overwritten) when given.  logits [N, V]. */
export function crossEntropy(ctx: GpuContext, rowLosses: ScratchBuffer, label: string, logits: GPUBuffer,
  targets: Int32Array, loss: GPUBuffer, dlogits: GPUBuffer | null, d: CrossEntropyDims, into: LossInto): void {
  const { n: rows, vocab, count } = d;
  const t = ctx.staged(targets, 'targets');
  const rowLoss = rowLosses.get(rows * 4);
  const chunk = rowsPerWindow(ctx, rows, [{ bytes: logits.size, cols: vocab, elementBytes: 4 }], `${label}: logits`);
  const window = (b: GPUBuffer, row0: number, n: number) => (chunk === rows ? b : rowWindow(b, row0, n, vocab, 4));
  for (let row0 = 0; row0 < rows; row0 += chunk) {
    const n = Math.min(chunk, rows - row0);
    const what = chunk === rows ? label : `${label} (rows ${row0}+${n})`;
    const w = { rows: n, vocab, row0, count, into };
    if (dlogits) ctx.launch(ROWS_GRAD, what, w, [window(logits, row0, n), t, rowLoss, window(dlogits, row0, n)]);
    else ctx.launch(ROWS, what, w, [window(logits, row0, n), t, rowLoss]);
  }
  ctx.launch(FINISH, `${label} (mean)`, { rows, vocab, row0: 0, count, into }, [rowLoss, loss]);
}
