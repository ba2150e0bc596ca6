// The kernels of attention: the forward kernel, and the backward as two kernels (query rows, then key/value
// rows) joined by a delta scratch [N, H] that grows with the largest call; and generation's attention over a
// key/value cache (decode): the new rows are copied into the caches at row P, then the forward kernel runs
// over the caches, its lse going to a scratch nobody reads. Two designs with the same bindings, parameters
// and results (the context's variants.attention): a row per invocation without workgroup memory for CPU
// drivers (attention.wgsl), workgroup tiles for hardware GPUs (attentionTiled.wgsl); both take their
// parameter block and bindings from attentionCommon.wgsl. Shapes are checked by the caller
// (runtime/shapes.ts attentionDims, attentionDecodeDims); this checks only what the WGSL assumes of the head
// dimension (a multiple of 4, at most 4 MAX_E4).
import type { AttentionDims, DecodeDims } from '../runtime/shapes.js';
import type { GpuContext } from './device.js';
import { type Kernel, kernel } from './kernel.js';
import type { ScratchBuffer } from './reusable.js';
import common from './attentionCommon.wgsl';
import rowsSrc from './attention.wgsl';
import tiledSrc from './attentionTiled.wgsl';

const MAX_E = 256; // 4 MAX_E4 of attention.wgsl
/** Rows of a query or key tile of attentionTiled.wgsl (BR): one workgroup each. */
const TILE_ROWS = 16;

/** What the kernels' parameter block describes: attention's dims plus where the keys sit (module header),
 *  and the rows of this launch (query rows, or key/value rows for the dk, dv kernel). */
interface Call extends AttentionDims { kvSeq: number; past: number; rows: number }

/** The three kernels of one design. */
type Design = Record<'forward' | 'backwardQuery' | 'backwardKeyValue', Kernel<Call>>;

function design(name: string, module: string, source: string, launch: Pick<Kernel<Call>, 'size' | 'constants' | 'rowPerWorkgroup'>): Design {
  const shared = {
    module, source: common + source, wg: 64, ...launch,
    // The parameter block's `rows` is always the query rows; `size` follows the rows this kernel walks.
    u32: (d: Call) => [d.seq, d.heads, d.kvHeads, d.headDim, d.window ?? 0, d.batch * d.seq * d.heads, d.kvSeq, d.past],
    f32: (d: Call) => [1 / Math.sqrt(d.headDim)],
  };
  const entry = (entry: keyof Design, bindings: string[]) => kernel({ ...shared, name: `attention ${name} ${entry}`, entry, bindings });
  return {
    forward: entry('forward', ['q', 'k', 'v', 'lse', 'out']),
    backwardQuery: entry('backwardQuery', ['q', 'k', 'v', 'lse', 'dout', 'delta', 'dq', 'outIn']),
    backwardKeyValue: entry('backwardKeyValue', ['q', 'k', 'v', 'lse', 'dout', 'delta', 'dk', 'dv']),
  };
}

/** An invocation per row, for every head dimension. */
const ROWS = design('rows', 'attention.wgsl', rowsSrc, { size: (d) => d.rows });
/** A workgroup per tile of TILE_ROWS rows of each sequence, one module and pipeline per head dimension (its
 *  SHARE and HEAD_VEC4), made on first use. */
const tiledByHeadDim = new Map<number, Design>();

function designFor(ctx: GpuContext, headDim: number): Design {
  if (ctx.variants.attention === 'rows') return ROWS;
  let d = tiledByHeadDim.get(headDim);
  if (!d) {
    const share = Math.ceil(headDim / 16); // vec4s per lane: 4 lanes split a row's E / 4 vec4s
    tiledByHeadDim.set(headDim, d = design(`tiled E=${headDim}`, `attentionTiled.wgsl E=${headDim}`, `const SHARE = ${share}u;\n${tiledSrc}`, {
      size: (c) => (c.rows / c.seq) * Math.ceil(c.seq / TILE_ROWS), rowPerWorkgroup: true, constants: { HEAD_VEC4: headDim / 4 },
    }));
  }
  return d;
}

function checkHeadDim(label: string, d: AttentionDims): void {
  if (d.headDim > MAX_E || d.headDim % 4 !== 0) {
    throw new Error(`[attention] ${label}: head dimension ${d.headDim} is not a multiple of 4 up to ${MAX_E}, which this ` +
      'kernel reads as vec4s held per invocation; run this model on the wasm or reference backend');
  }
}

/** out and lse from q, k, v. */
export function attention(ctx: GpuContext, label: string, q: GPUBuffer, k: GPUBuffer, v: GPUBuffer, out: GPUBuffer, lse: GPUBuffer, d: AttentionDims): void {
  checkHeadDim(label, d);
  ctx.launch(designFor(ctx, d.headDim).forward, label, { ...d, kvSeq: d.seq, past: 0, rows: d.batch * d.seq * d.heads }, [q, k, v, lse, out]);
}

/** dq, dk, dv (overwritten) for dout. */
export function attentionBackward(ctx: GpuContext, label: string, b: Record<'q' | 'k' | 'v' | 'out' | 'lse' | 'dout' | 'dq' | 'dk' | 'dv', GPUBuffer>,
  d: AttentionDims, deltaScratch: ScratchBuffer): void {
  checkHeadDim(label, d);
  const call = { ...d, kvSeq: d.seq, past: 0, rows: d.batch * d.seq * d.heads };
  const delta = deltaScratch.get(call.rows * 4);
  const { backwardQuery, backwardKeyValue } = designFor(ctx, d.headDim);
  ctx.launch(backwardQuery, `${label} (dq)`, call, [b.q, b.k, b.v, b.lse, b.dout, delta, b.dq, b.out]);
  ctx.launch(backwardKeyValue, `${label} (dk, dv)`, { ...call, rows: d.batch * d.seq * d.kvHeads },
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
  ctx.launch(designFor(ctx, d.headDim).forward, label, { ...d, seq: d.tq, kvSeq: d.capacity, rows }, [b.q, b.kCache, b.vCache, lseScratch.get(rows * 4), b.out]);
}
