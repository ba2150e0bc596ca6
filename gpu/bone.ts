// Launcher for bone.wgsl: the two column-modulo kernels behind chunkSum / chunkScatterAdd (Bone), foldSum /
// tileAdd (mini) and addBias (a bias is a tile of width O over the N * O elements of y). Shapes are checked
// by the callers (runtime/op-shapes.ts); this only encodes.
import { type GpuContext, grid, params } from './device.js';
import src from './bone.wgsl';

const WG = 64;

export class BoneKernels {
  private readonly pipes: Record<'fold' | 'tile', GPUComputePipeline | undefined> = { fold: undefined, tile: undefined };
  constructor(private readonly ctx: GpuContext) {}

  private pipe(entry: 'fold' | 'tile'): GPUComputePipeline {
    return (this.pipes[entry] ??= this.ctx.pipeline(`bone ${entry}`, this.ctx.module('bone.wgsl', src), entry, { WG }));
  }

  /** narrow[n, j] = sum_t wide[n, t R + j], zero-padded.  wide [N, W], narrow [N, R] (overwritten). */
  fold(label: string, wide: GPUBuffer, narrow: GPUBuffer, rows: number, w: number, r: number): void {
    this.ctx.dispatch(label, this.pipe('fold'), params([rows, w, r]), [wide, narrow], grid(this.ctx, rows * r, WG));
  }

  /** wide[n, c] += narrow[n, c mod R].  narrow [N, R], wide [N, W]. */
  tile(label: string, narrow: GPUBuffer, wide: GPUBuffer, rows: number, w: number, r: number): void {
    this.ctx.dispatch(label, this.pipe('tile'), params([rows, w, r]), [narrow, wide], grid(this.ctx, rows * w, WG));
  }
}
