// Launcher for half.wgsl: widen a float16 tensor into a float32 one and narrow a float32 tensor into a
// float16 one (the backend's weight/copy/read/write of half-precision weights, and the float32 temporaries
// of ops that do not read float16 themselves). Sizes are checked by the caller.
import { type GpuContext, grid, params } from './device.js';
import halfSrc from './half.wgsl';

const WG = 64;

export class HalfKernels {
  private readonly pipes: Partial<Record<'widen' | 'narrow', GPUComputePipeline>> = {};
  constructor(private readonly ctx: GpuContext) {}

  /** wide[e] = half[e] for `count` elements. */
  widen(label: string, half: GPUBuffer, wide: GPUBuffer, count: number): void {
    this.encode(label, 'widen', half, wide, count);
  }

  /** half[e] = wide[e] rounded to float16, for `count` elements. */
  narrow(label: string, wide: GPUBuffer, half: GPUBuffer, count: number): void {
    this.encode(label, 'narrow', wide, half, count);
  }

  private encode(label: string, entry: 'widen' | 'narrow', src: GPUBuffer, dst: GPUBuffer, count: number): void {
    if (count === 0) return;
    const pipe = (this.pipes[entry] ??= this.ctx.pipeline(`half ${entry}`, this.ctx.module('half.wgsl', halfSrc), entry, { WG }));
    this.ctx.dispatch(label, pipe, params([count]), [src, dst], grid(this.ctx, Math.ceil(count / 2), WG));
  }
}
