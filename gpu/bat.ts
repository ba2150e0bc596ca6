// The kernels of bat.wgsl: blockAffine, and batGrad as "slab product, then block reduction" over bounded
// groups of output blocks: for each group, the matmul kernel writes s = g[:, group]^T x [blocks * R, I]
// into a scratch buffer of at most `scratchBytes`, then gradTile reduces it to db for those blocks. The
// whole [O, I] product g^T x is never allocated. Shapes are checked by the caller (runtime/checked.ts).
import { blockPlan } from '../runtime/blocks.js';
import type { BatDims } from '../runtime/shapes.js';
import type { GpuContext } from './device.js';
import { kernel } from './kernel.js';
import { encodeMatmul } from './matmul.js';
import type { ScratchBuffer } from './reusable.js';
import src from './bat.wgsl';

/** Default bound on the batGrad slab: large enough that typical layers take one or a few groups. */
export const DEFAULT_BAT_SCRATCH_BYTES = 32 << 20;

const common = { module: 'bat.wgsl', source: src, wg: 64 };

/** dst_ik = w_ik (I + m_i) + c_i.  w, dst [O, I]; m, c [O/R, R, R]. */
export const BAT_AFFINE = kernel({
  ...common, name: 'bat affine', entry: 'affine', bindings: ['w', 'm', 'c', 'dst'],
  u32: (d: BatDims) => [d.out, d.inF, d.r], size: (d) => blockPlan().tileInvocations(d.out, d.inF),
});

/** db_i for the output blocks block0 .. block0 + blocks - 1 from their slab of g^T x: the group's first
 *  weight element and first db element are the plan's strip and square offsets of block0. */
const BAT_GRAD_TILE = kernel({
  ...common, name: 'bat gradTile', entry: 'gradTile', bindings: ['w', 'slab', 'db'],
  u32: (d: BatDims & { block0: number; blocks: number }) =>
    [d.out, d.inF, d.r, blockPlan().batStrip(d.block0, d.r, d.inF), blockPlan().batSquare(d.block0, d.r), d.blocks],
  size: (d) => blockPlan().batGradInvocations(d.blocks, d.r),
});

/** db_i = sum_k (w_ik + I)^T (g_i^T x_k).  w [O, I], g [N, O], x [N, I], db [O/R, R, R] (overwritten);
 *  `slab` grows to at most `scratchBytes` (and one binding). */
export function batGrad(ctx: GpuContext, label: string, w: GPUBuffer, g: GPUBuffer, x: GPUBuffer, db: GPUBuffer, d: BatDims,
  slab: ScratchBuffer, scratchBytes: number): void {
  const { n, out, inF, r } = d;
  const plan = blockPlan();
  const bound = Math.min(scratchBytes, ctx.maxBinding);
  const totalBlocks = plan.batBlocks(out, r);
  const perGroup = plan.batGroupBlocks(out, inF, r, bound);
  const slabBytes = perGroup * r * inF * 4; // the group's rows of g^T x
  const scratch = slab.get(slabBytes, Math.max(slabBytes, bound));
  for (let block0 = 0; block0 < totalBlocks; block0 += perGroup) {
    const blocks = Math.min(perGroup, totalBlocks - block0);
    // s [blocks R, I] = g[:, block0 R : (block0 + blocks) R]^T x: A is g read transposed, in place.
    encodeMatmul(ctx, `${label} (slab of blocks ${block0}..${block0 + blocks - 1})`, {
      a: { buffer: g, ld: out, offset: plan.chunkStart(block0, r), stride: 0 },
      b: { buffer: x, ld: inF, offset: 0, stride: 0 },
      c: { buffer: scratch, ld: inF, offset: 0, stride: 0 },
      batch: 1, m: blocks * r, n: inF, k: n, transA: true, transB: false, alpha: 1, accumulate: false,
    });
    ctx.launch(BAT_GRAD_TILE, `${label} (blocks ${block0}..${block0 + blocks - 1})`, { ...d, block0, blocks }, [w, scratch, db]);
  }
}
