// Launcher for matmul.wgsl: C (=|+=) alpha op(A) op(B) on sub-matrices given by leading dimension, offset
// and batch stride. Backend.matmul uses it on whole tensors; batGrad (bat.ts) on a column slice of g.
// One pipeline per (transA, transB, aligned) combination, built on first use. It checks nothing about
// shapes: callers have (runtime/backend.ts matmulDims).
import { type GpuContext, params } from './device.js';
import src from './matmul.wgsl';

const WG = 8; // invocations per workgroup side; each computes 4 x 4 outputs, so a workgroup covers 32 x 32

export interface Operand { buffer: GPUBuffer; ld: number; offset: number; stride: number }

export interface MatmulCall {
  a: Operand; b: Operand; c: Operand;
  batch: number; m: number; n: number; k: number;
  transA: boolean; transB: boolean; alpha: number; accumulate: boolean;
}

const aligned = (o: Operand) => o.ld % 4 === 0 && o.offset % 4 === 0 && o.stride % 4 === 0;

export class MatmulKernel {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  constructor(private readonly ctx: GpuContext) {}

  encode(label: string, call: MatmulCall): void {
    const { m, n, k, batch } = call;
    if (m === 0 || n === 0 || batch === 0) return;
    const align = aligned(call.a) && aligned(call.b);
    const key = `${+call.transA}${+call.transB}${+align}`;
    let pipe = this.pipelines.get(key);
    if (!pipe) {
      pipe = this.ctx.pipeline(`matmul transA=${call.transA} transB=${call.transB} aligned=${align}`,
        this.ctx.module('matmul.wgsl', src), 'main',
        { TRANS_A: +call.transA, TRANS_B: +call.transB, ALIGNED: +align, WG_X: WG, WG_Y: WG });
      this.pipelines.set(key, pipe);
    }
    const { a, b, c } = call;
    const p = params(
      [m, n, k, a.ld, b.ld, c.ld, a.offset, b.offset, c.offset, a.stride, b.stride, c.stride, +call.accumulate],
      [call.alpha]);
    const groups: [number, number, number] = [Math.ceil(n / (4 * WG)), Math.ceil(m / (4 * WG)), batch];
    const max = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    if (groups.some((g) => g > max)) {
      throw new Error(`[matmul] ${label}: ${batch} x ${m} x ${n} needs ${groups.join(' x ')} workgroups, over this ` +
        `device's ${max} per dimension: split the batch or the rows`);
    }
    this.ctx.dispatch(label, pipe, p, [a.buffer, b.buffer, c.buffer], groups);
  }
}
