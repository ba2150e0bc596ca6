// The kernels of attention.wgsl: the forward kernel, and the backward as two kernels (query rows, then
// key/value rows) joined by a delta scratch [N, H] that grows with the largest call; and generation's
// attention over a key/value cache (decode): the new rows are copied into the caches at row P, then the
// forward kernel runs over the caches, its lse going to a scratch nobody reads. Shapes are checked by the
// caller (runtime/shapes.ts attentionDims, attentionDecodeDims); this checks only what the WGSL assumes of the
// head dimension (a multiple of 4, at most 4 MAX_E4).
import type { AttentionDims, DecodeDims } from '../runtime/shapes.js';
import type { GpuContext } from './device.js';
import { kernel } from './kernel.js';
import type { ScratchBuffer } from './reusable.js';
import src from './attention.wgsl';

const MAX_E = 256; // 4 MAX_E4 of attention.wgsl

/** What the kernels' parameter block describes: attention's dims plus where the keys sit (module header),
 *  and the rows of this launch (query rows, or key/value rows for the dk, dv kernel). */
interface Call extends AttentionDims { kvSeq: number; past: number; rows: number }

const common = {
  module: 'attention.wgsl', source: src, wg: 64,
  // The parameter block's `rows` is always the query rows; `size` is the rows this kernel walks.
  u32: (d: Call) => [d.seq, d.heads, d.kvHeads, d.headDim, d.window ?? 0, d.batch * d.seq * d.heads, d.kvSeq, d.past],
  f32: (d: Call) => [1 / Math.sqrt(d.headDim)], size: (d: Call) => d.rows,
};
const FORWARD = kernel({ ...common, name: 'attention forward', entry: 'forward', bindings: ['q', 'k', 'v', 'lse', 'out'] });
const BACKWARD_QUERY = kernel({
  ...common, name: 'attention backwardQuery', entry: 'backwardQuery', bindings: ['q', 'k', 'v', 'lse', 'dout', 'delta', 'dq', 'outIn'],
});
const BACKWARD_KEY_VALUE = kernel({
  ...common, name: 'attention backwardKeyValue', entry: 'backwardKeyValue', bindings: ['q', 'k', 'v', 'lse', 'dout', 'delta', 'dk', 'dv'],
});

function checkHeadDim(label: string, d: AttentionDims): void {
  if (d.headDim > MAX_E || d.headDim % 4 !== 0) {
    throw new Error(`[attention] ${label}: head dimension ${d.headDim} is not a multiple of 4 up to ${MAX_E}, which this ` +
      'kernel reads as vec4s held per invocation; run this model on the wasm or reference backend');
  }
}

/** out and lse from q, k, v. */
export function attention(ctx: GpuContext, label: string, q: GPUBuffer, k: GPUBuffer, v: GPUBuffer, out: GPUBuffer, lse: GPUBuffer, d: AttentionDims): void {
  checkHeadDim(label, d);
  ctx.launch(FORWARD, label, { ...d, kvSeq: d.seq, past: 0, rows: d.batch * d.seq * d.heads }, [q, k, v, lse, out]);
}

/** dq, dk, dv (overwritten) for dout. */
export function attentionBackward(ctx: GpuContext, label: string, b: Record<'q' | 'k' | 'v' | 'out' | 'lse' | 'dout' | 'dq' | 'dk' | 'dv', GPUBuffer>,
  d: AttentionDims, deltaScratch: ScratchBuffer): void {
  checkHeadDim(label, d);
  const call = { ...d, kvSeq: d.seq, past: 0, rows: d.batch * d.seq * d.heads };
  const delta = deltaScratch.get(call.rows * 4);
  ctx.launch(BACKWARD_QUERY, `${label} (dq)`, call, [b.q, b.k, b.v, b.lse, b.dout, delta, b.dq, b.out]);
  ctx.launch(BACKWARD_KEY_VALUE, `${label} (dk, dv)`, { ...call, rows: d.batch * d.seq * d.kvHeads },
    [b.q, b.k, b.v, b.lse, b.dout, delta, b.dk, b.dv]);
}

/** Append kNew, vNew at row P of the caches, then out from q over the caches. */
export function attentionDecode(ctx: GpuContext, label: string, b: Record<'q' | 'kNew' | 'vNew' | 'kCache' | 'vCache' | 'out', GPUBuffer>,
  d: DecodeDims, lseScratch: ScratchBuffer): void {
  checkHeadDim(label, d); // refuses an unsupported head dimension before anything is recorded
  const row = d.kvHeads * d.headDim * 4; // bytes per token of a key or value row
  ctx.record(`${label} (append to the caches)`, (e) => {
    for (let s = 0; s < d.batch; s++) {
      const from = s * d.tq * row, to = (s * d.capacity + d.past) * row;
      e.copyBufferToBuffer(b.kNew, from, b.kCache, to, d.tq * row);
      e.copyBufferToBuffer(b.vNew, from, b.vCache, to, d.tq * row);
    }
  });
  const rows = d.batch * d.tq * d.heads;
  ctx.launch(FORWARD, label, { ...d, seq: d.tq, kvSeq: d.capacity, rows }, [b.q, b.kCache, b.vCache, lseScratch.get(rows * 4), b.out]);
}
