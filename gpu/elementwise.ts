// Launcher for elementwise.wgsl: swiglu, its backward, and the residual add, one invocation per element.
// Shapes are checked by the caller (runtime/op-shapes.ts sameSize); this only encodes.
import { type GpuContext, grid, params } from './device.js';
import src from './elementwise.wgsl';

const WG = 64;
type Entry = 'swiglu' | 'swigluBackward' | 'add';

export class ElementwiseKernels {
  private readonly pipes: Partial<Record<Entry, GPUComputePipeline>> = {};
  constructor(private readonly ctx: GpuContext) {}

  /** Run `entry` over `count` elements with `buffers` as its bindings 1, 2, ... (see elementwise.wgsl). */
  encode(label: string, entry: Entry, count: number, buffers: GPUBuffer[]): void {
    const pipe = (this.pipes[entry] ??= this.ctx.pipeline(`elementwise ${entry}`, this.ctx.module('elementwise.wgsl', src), entry, { WG }));
    this.ctx.dispatch(label, pipe, params([count]), buffers, grid(this.ctx, count, WG));
  }
}
