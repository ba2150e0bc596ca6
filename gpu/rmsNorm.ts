// The kernels of rmsNorm.wgsl (with the reductions of reduce.wgsl): RMSNorm forward and input gradient, one
// workgroup per row, and the weight gradient, one invocation per column. Shapes are checked by the caller (runtime/shapes.ts rmsNormDims).
import type { RowDims } from '../runtime/shapes.js';
import { kernel } from './kernel.js';
import reduce from './reduce.wgsl';
import src from './rmsNorm.wgsl';

const common = { module: 'rmsNorm.wgsl', source: reduce + src, wg: 64, size: (d: RowDims) => d.n, rowPerWorkgroup: true };

/** y = x rstd w, rstd written.  x, y [N, D]; w [D]; rstd [N]. */
export const RMS_NORM = kernel({
  ...common, name: 'rmsNorm forward', entry: 'forward', bindings: ['x', 'w', 'y', 'rstdOut'],
  u32: (d: RowDims & { eps: number }) => [d.n, d.width], f32: (d) => [d.eps],
});

/** dx += the input gradient for dy.  x, dy, dx [N, D]; w [D]; rstd [N]. */
export const RMS_NORM_BACKWARD = kernel({
  ...common, name: 'rmsNorm backward', entry: 'backward', bindings: ['x', 'w', 'rstd', 'dy', 'dx'], u32: (d: RowDims) => [d.n, d.width],
});

/** dw = sum over rows of dy x rstd.  x, dy [N, D]; rstd [N]; dw [D]. */
export const RMS_NORM_WEIGHT_GRAD = kernel({
  module: 'rmsNorm.wgsl', source: reduce + src, wg: 64, name: 'rmsNorm weight grad', entry: 'weightGrad',
  bindings: ['x', 'rstdIn', 'dyIn', 'dw'], u32: (d: RowDims) => [d.n, d.width], size: (d) => d.width,
});
