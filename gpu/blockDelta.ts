// Launcher for blockDelta.wgsl (Bone and mini merge / unmerge). Shapes are checked by the caller
// (runtime/op-shapes.ts blockDeltaDims); this only encodes.
import { type GpuContext, grid, params } from './device.js';
import src from './blockDelta.wgsl';

const WG = 64;

export class BlockDeltaKernel {
  private pipe: GPUComputePipeline | undefined;
  constructor(private readonly ctx: GpuContext) {}

  /** w[o, c] += sign * b[c mod R, o mod M].  b [R, M], w [O, I]. */
  encode(label: string, b: GPUBuffer, w: GPUBuffer, out: number, inF: number, r: number, m: number, sign: 1 | -1): void {
    this.pipe ??= this.ctx.pipeline('blockDelta', this.ctx.module('blockDelta.wgsl', src), 'main', { WG });
    this.ctx.dispatch(label, this.pipe, params([out, inF, r, m], [sign]), [b, w], grid(this.ctx, out * inF, WG));
  }
}
