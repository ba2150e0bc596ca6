// Launcher for attention.wgsl: the forward kernel, and the backward as two kernels (query rows, then
// key/value rows) joined by a delta scratch [N, H] that grows with the largest call; and generation's
// attention over a key/value cache (decode): the new rows are copied into the caches at row P, then the
// forward kernel runs over the caches, its lse going to a scratch nobody reads. Shapes are checked by the
// caller (runtime/model/op-shapes.ts attentionDims, runtime/generate/ops.ts attentionDecodeDims); this
// checks only what the WGSL assumes of the head dimension (a multiple of 4, at most 4 MAX_E4) and encodes.
import type { attentionDecodeDims } from '../runtime/generate/ops.js';
import type { AttentionDims } from '../runtime/reference/ops.js';
import { type GpuContext, grid, params } from './device.js';
import { ScratchBuffer } from './reusable.js';
import src from './attention.wgsl';

const WG = 64;
const MAX_E = 256; // 4 MAX_E4 of attention.wgsl

type Entry = 'forward' | 'backwardQuery' | 'backwardKeyValue';

export interface AttentionBuffers { q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; out: GPUBuffer; lse: GPUBuffer }
export interface DecodeBuffers { q: GPUBuffer; kNew: GPUBuffer; vNew: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; out: GPUBuffer }
type DecodeDims = ReturnType<typeof attentionDecodeDims>;

/** What the kernels' parameter block describes: attention's dims plus where the keys sit (module header). */
interface KernelDims extends AttentionDims { kvSeq: number; past: number }

export class AttentionKernels {
  private readonly pipes: Partial<Record<Entry, GPUComputePipeline>> = {};
  private readonly delta: ScratchBuffer;
  private readonly decodeLse: ScratchBuffer;
  constructor(private readonly ctx: GpuContext) {
    this.delta = new ScratchBuffer(ctx, 'attention delta (dout . out per query row)');
    this.decodeLse = new ScratchBuffer(ctx, 'attentionDecode lse (not kept)');
  }

  private pipe(entry: Entry): GPUComputePipeline {
    return (this.pipes[entry] ??= this.ctx.pipeline(`attention ${entry}`, this.ctx.module('attention.wgsl', src), entry, { WG }));
  }

  private params(label: string, d: KernelDims): ArrayBuffer {
    if (d.headDim > MAX_E || d.headDim % 4 !== 0) {
      throw new Error(`[attention] ${label}: head dimension ${d.headDim} is not a multiple of 4 up to ${MAX_E}, which this ` +
        'kernel reads as vec4s held per invocation; run this model on the wasm or reference backend');
    }
    const rows = d.batch * d.seq * d.heads;
    return params([d.seq, d.heads, d.kvHeads, d.headDim, d.window ?? 0, rows, d.kvSeq, d.past], [1 / Math.sqrt(d.headDim)]);
  }

  /** out and lse from q, k, v. */
  forward(label: string, b: AttentionBuffers, d: AttentionDims): void {
    const rows = d.batch * d.seq * d.heads;
    this.ctx.dispatch(label, this.pipe('forward'), this.params(label, { ...d, kvSeq: d.seq, past: 0 }),
      [b.q, b.k, b.v, b.lse, b.out], grid(this.ctx, rows, WG));
  }

  /** Append kNew, vNew at row P of the caches, then out from q over the caches. */
  decode(label: string, b: DecodeBuffers, d: DecodeDims): void {
    const dims: KernelDims = { ...d, seq: d.tq, kvSeq: d.capacity };
    const p = this.params(label, dims); // refuses an unsupported head dimension before anything is recorded
    const row = d.kvHeads * d.headDim * 4; // bytes per token of a key or value row
    this.ctx.record(`${label} (append to the caches)`, (e) => {
      for (let s = 0; s < d.batch; s++) {
        const from = s * d.tq * row, to = (s * d.capacity + d.past) * row;
        e.copyBufferToBuffer(b.kNew, from, b.kCache, to, d.tq * row);
        e.copyBufferToBuffer(b.vNew, from, b.vCache, to, d.tq * row);
      }
    });
    const rows = d.batch * d.tq * d.heads;
    this.ctx.dispatch(label, this.pipe('forward'), p, [b.q, b.kCache, b.vCache, this.decodeLse.get(rows * 4), b.out], grid(this.ctx, rows, WG));
  }

  /** dq, dk, dv (overwritten) for dout. */
  backward(label: string, b: AttentionBuffers, dout: GPUBuffer, dq: GPUBuffer, dk: GPUBuffer, dv: GPUBuffer, d: AttentionDims): void {
    const p = this.params(label, { ...d, kvSeq: d.seq, past: 0 });
    const rows = d.batch * d.seq * d.heads;
    const delta = this.delta.get(rows * 4);
    this.ctx.dispatch(`${label} (dq)`, this.pipe('backwardQuery'), p, [b.q, b.k, b.v, b.lse, dout, delta, dq, b.out], grid(this.ctx, rows, WG));
    this.ctx.dispatch(`${label} (dk, dv)`, this.pipe('backwardKeyValue'), p, [b.q, b.k, b.v, b.lse, dout, delta, dk, dv],
      grid(this.ctx, d.batch * d.seq * d.kvHeads, WG));
  }
}
