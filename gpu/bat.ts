// Launchers for bat.wgsl: blockAffine, and batGrad as "slab product, then block reduction" over bounded
// groups of output blocks: for each group, the matmul kernel writes s = g[:, group]^T x [blocks * R, I]
// into a scratch buffer of at most `scratchBytes`, then gradTile reduces it to db for those blocks. The
// whole [O, I] product g^T x is never allocated. Shapes are checked by the caller (runtime/op-shapes.ts).
import { type GpuContext, grid, params } from './device.js';
import type { MatmulKernel } from './matmul.js';
import src from './bat.wgsl';

const WG = 64;
/** Default bound on the batGrad slab: large enough that typical layers take one or a few groups. */
export const DEFAULT_BAT_SCRATCH_BYTES = 32 << 20;

export class BatKernels {
  private affinePipe: GPUComputePipeline | undefined;
  private gradPipe: GPUComputePipeline | undefined;
  private scratch: GPUBuffer | null = null;
  private scratchSize = 0;

  constructor(private readonly ctx: GpuContext, private readonly matmul: MatmulKernel,
    private readonly scratchBytes = DEFAULT_BAT_SCRATCH_BYTES) {}

  private module() {
    return this.ctx.module('bat.wgsl', src);
  }

  /** dst_ik = w_ik (I + m_i) + c_i.  w, dst [O, I]; m, c [O/R, R, R]. */
  affine(label: string, w: GPUBuffer, m: GPUBuffer, c: GPUBuffer, dst: GPUBuffer, out: number, inF: number, r: number): void {
    this.affinePipe ??= this.ctx.pipeline('bat affine', this.module(), 'affine', { WG });
    this.ctx.dispatch(label, this.affinePipe, params([out, inF, r]), [w, m, c, dst], grid(this.ctx, out * inF, WG));
  }

  /** db_i = sum_k (w_ik + I)^T (g_i^T x_k).  w [O, I], g [N, O], x [N, I], db [O/R, R, R] (overwritten). */
  grad(label: string, w: GPUBuffer, g: GPUBuffer, x: GPUBuffer, db: GPUBuffer, n: number, out: number, inF: number, r: number): void {
    this.gradPipe ??= this.ctx.pipeline('bat gradTile', this.module(), 'gradTile', { WG });
    const slabBytes = r * inF * 4; // one output block's rows of g^T x
    const limit = Math.min(this.scratchBytes, this.ctx.maxBinding);
    const totalBlocks = out / r;
    const perGroup = Math.min(totalBlocks, Math.max(1, Math.floor(limit / slabBytes)));
    const scratch = this.scratchFor(perGroup * slabBytes, label);
    for (let block0 = 0; block0 < totalBlocks; block0 += perGroup) {
      const blocks = Math.min(perGroup, totalBlocks - block0);
      // s [blocks R, I] = g[:, block0 R : (block0 + blocks) R]^T x: A is g read transposed, in place.
      this.matmul.encode(`${label} (slab of blocks ${block0}..${block0 + blocks - 1})`, {
        a: { buffer: g, ld: out, offset: block0 * r, stride: 0 },
        b: { buffer: x, ld: inF, offset: 0, stride: 0 },
        c: { buffer: scratch, ld: inF, offset: 0, stride: 0 },
        batch: 1, m: blocks * r, n: inF, k: n, transA: true, transB: false, alpha: 1, accumulate: false,
      });
      this.ctx.dispatch(`${label} (blocks ${block0}..${block0 + blocks - 1})`, this.gradPipe,
        params([out, inF, r, block0, blocks]), [w, scratch, db], grid(this.ctx, blocks * r * r, WG));
    }
  }

  /** The slab scratch, grown (never past the bound) when a call needs more than the last one. */
  private scratchFor(bytes: number, label: string): GPUBuffer {
    if (!this.scratch || this.scratchSize < bytes) {
      if (this.scratch) this.ctx.release(this.scratch);
      this.scratch = this.ctx.storageBuffer(bytes, `batGrad slab for ${label}`);
      this.scratchSize = bytes;
    }
    return this.scratch;
  }
}
