// Launcher for optimizer.wgsl (with reduce.wgsl): AdamW and the squared norm for gradient clipping.
// Sizes are checked by the caller (gpu/backend.ts, with runtime/op-shapes.ts sameSize); this only encodes.
import type { AdamWStep } from '../runtime/train/ops.js';
import { type GpuContext, grid, params } from './device.js';
import reduce from './reduce.wgsl';
import src from './optimizer.wgsl';

const WG = 256;

export class OptimizerKernels {
  private readonly pipes: Partial<Record<'adamw' | 'sumSquares', GPUComputePipeline>> = {};
  constructor(private readonly ctx: GpuContext) {}

  private pipe(entry: 'adamw' | 'sumSquares'): GPUComputePipeline {
    return (this.pipes[entry] ??= this.ctx.pipeline(`optimizer ${entry}`, this.ctx.module('optimizer.wgsl', reduce + src), entry, { WG }));
  }

  /** One AdamW step in place.  param, grad, m, v [P]. */
  adamw(label: string, param: GPUBuffer, grad: GPUBuffer, m: GPUBuffer, v: GPUBuffer, count: number, s: AdamWStep): void {
    const c1 = 1 - s.beta1 ** s.step, c2 = 1 - s.beta2 ** s.step;
    const p = params([count, 0], [s.lr, s.beta1, s.beta2, 1 - s.beta1, 1 - s.beta2, 1 - s.lr * s.weightDecay, s.eps, s.gradScale, c1, c2]);
    this.ctx.dispatch(label, this.pipe('adamw'), p, [param, grad, m, v], grid(this.ctx, count, WG));
  }

  /** out[0] (+)= sum of t[i]^2.  t [P], out [1]. */
  sumSquares(label: string, t: GPUBuffer, out: GPUBuffer, count: number, accumulate: boolean): void {
    this.ctx.dispatch(label, this.pipe('sumSquares'), params([count, +accumulate]), [t, out], [1, 1, 1]);
  }
}
