// Launcher for elementwise.wgsl: swiglu, its backward, the residual add and dropout, one invocation per element.
// Shapes are checked by the caller (runtime/op-shapes.ts sameSize); this only encodes.
import { type GpuContext, grid, params } from './device.js';
import src from './elementwise.wgsl';

const WG = 64;
type Entry = 'swiglu' | 'swigluBackward' | 'add' | 'dropout' | 'dropoutInPlace';

export class ElementwiseKernels {
  private readonly pipes: Partial<Record<Entry, GPUComputePipeline>> = {};
  constructor(private readonly ctx: GpuContext) {}

  /** Run `entry` over `count` elements with `buffers` as its bindings 1, 2, ... (see elementwise.wgsl). */
  encode(label: string, entry: Entry, count: number, buffers: GPUBuffer[]): void {
    this.ctx.dispatch(label, this.pipe(entry), params([count]), buffers, grid(this.ctx, count, WG));
  }

  /** out = dropout(x) over `count` elements with the u32 `seed` and `threshold` of dropoutKeeps; x and out
   *  may be one buffer (a writable binding may not alias another binding, hence the in-place entry). */
  dropout(label: string, x: GPUBuffer, out: GPUBuffer, count: number, seed: number, threshold: number, scale: number): void {
    const inPlace = x === out;
    this.ctx.dispatch(label, this.pipe(inPlace ? 'dropoutInPlace' : 'dropout'), params([count, seed, threshold], [scale]),
      inPlace ? [out] : [x, out], grid(this.ctx, count, WG));
  }

  private pipe(entry: Entry): GPUComputePipeline {
    return (this.pipes[entry] ??= this.ctx.pipeline(`elementwise ${entry}`, this.ctx.module('elementwise.wgsl', src), entry, { WG }));
  }
}
