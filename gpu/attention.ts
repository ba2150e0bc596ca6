// Launcher for attention.wgsl: the forward kernel, and the backward as two kernels (query rows, then
// key/value rows) joined by a delta scratch [N, H] that grows with the largest call. Shapes are checked by
// the caller (runtime/model/op-shapes.ts attentionDims); this checks only what the WGSL assumes of the head
// dimension (a multiple of 4, at most 4 MAX_E4) and encodes.
import type { AttentionDims } from '../runtime/reference/ops.js';
import { type GpuContext, grid, params } from './device.js';
import { ScratchBuffer } from './reusable.js';
import src from './attention.wgsl';

const WG = 64;
const MAX_E = 256; // 4 MAX_E4 of attention.wgsl

type Entry = 'forward' | 'backwardQuery' | 'backwardKeyValue';

export interface AttentionBuffers { q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; out: GPUBuffer; lse: GPUBuffer }

export class AttentionKernels {
  private readonly pipes: Partial<Record<Entry, GPUComputePipeline>> = {};
  private readonly delta: ScratchBuffer;
  constructor(private readonly ctx: GpuContext) {
    this.delta = new ScratchBuffer(ctx, 'attention delta (dout . out per query row)');
  }

  private pipe(entry: Entry): GPUComputePipeline {
    return (this.pipes[entry] ??= this.ctx.pipeline(`attention ${entry}`, this.ctx.module('attention.wgsl', src), entry, { WG }));
  }

  private params(label: string, d: AttentionDims): ArrayBuffer {
    if (d.headDim > MAX_E || d.headDim % 4 !== 0) {
      throw new Error(`[attention] ${label}: head dimension ${d.headDim} is not a multiple of 4 up to ${MAX_E}, which this ` +
        'kernel reads as vec4s held per invocation; run this model on the wasm or reference backend');
    }
    const rows = d.batch * d.seq * d.heads;
    return params([d.seq, d.heads, d.kvHeads, d.headDim, d.window ?? 0, rows], [1 / Math.sqrt(d.headDim)]);
  }

  /** out and lse from q, k, v. */
  forward(label: string, b: AttentionBuffers, d: AttentionDims): void {
    const rows = d.batch * d.seq * d.heads;
    this.ctx.dispatch(label, this.pipe('forward'), this.params(label, d), [b.q, b.k, b.v, b.lse, b.out], grid(this.ctx, rows, WG));
  }

  /** dq, dk, dv (overwritten) for dout. */
  backward(label: string, b: AttentionBuffers, dout: GPUBuffer, dq: GPUBuffer, dk: GPUBuffer, dv: GPUBuffer, d: AttentionDims): void {
    const p = this.params(label, d);
    const rows = d.batch * d.seq * d.heads;
    const delta = this.delta.get(rows * 4);
    this.ctx.dispatch(`${label} (dq)`, this.pipe('backwardQuery'), p, [b.q, b.k, b.v, b.lse, dout, delta, dq, b.out], grid(this.ctx, rows, WG));
    this.ctx.dispatch(`${label} (dk, dv)`, this.pipe('backwardKeyValue'), p, [b.q, b.k, b.v, b.lse, dout, delta, dk, dv],
      grid(this.ctx, d.batch * d.seq * d.kvHeads, WG));
  }
}
