// Launcher for rmsNorm.wgsl (with the reductions of reduce.wgsl): RMSNorm forward and input gradient, one
// workgroup per row. Shapes are checked by the caller (runtime/model/op-shapes.ts); this only encodes.
import { type GpuContext, grid, params } from './device.js';
import reduce from './reduce.wgsl';
import src from './rmsNorm.wgsl';

const WG = 64;

export class RmsNormKernels {
  private readonly pipes: Partial<Record<'forward' | 'backward', GPUComputePipeline>> = {};
  constructor(private readonly ctx: GpuContext) {}

  private pipe(entry: 'forward' | 'backward'): GPUComputePipeline {
    return (this.pipes[entry] ??= this.ctx.pipeline(`rmsNorm ${entry}`, this.ctx.module('rmsNorm.wgsl', reduce + src), entry, { WG }));
  }

  /** y = x rstd w, rstd written.  x, y [N, D]; w [D]; rstd [N]. */
  forward(label: string, x: GPUBuffer, w: GPUBuffer, y: GPUBuffer, rstd: GPUBuffer, rows: number, width: number, eps: number): void {
    this.ctx.dispatch(label, this.pipe('forward'), params([rows, width], [eps]), [x, w, y, rstd], grid(this.ctx, rows, 1));
  }

  /** dx += the input gradient for dy.  x, dy, dx [N, D]; w [D]; rstd [N]. */
  backward(label: string, x: GPUBuffer, w: GPUBuffer, rstd: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, rows: number, width: number): void {
    this.ctx.dispatch(label, this.pipe('backward'), params([rows, width]), [x, w, rstd, dy, dx], grid(this.ctx, rows, 1));
  }
}
