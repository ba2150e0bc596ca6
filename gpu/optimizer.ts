// The kernels of optimizer.wgsl (with reduce.wgsl): AdamW and the squared norm for gradient clipping.
// Sizes are checked by the caller (runtime/checked.ts).
import type { AdamWStep } from '../runtime/backend.js';
import { kernel } from './kernel.js';
import reduce from './reduce.wgsl';
import src from './optimizer.wgsl';

const common = { module: 'optimizer.wgsl', source: reduce + src, wg: 256 };

/** One AdamW step in place.  param, grad, m, v [P]. */
export const ADAMW = kernel({
  ...common, name: 'optimizer adamw', entry: 'adamw', bindings: ['param', 'grad', 'm', 'v'],
  u32: (s: AdamWStep & { count: number }) => [s.count, 0],
  f32: (s) => [s.lr, s.beta1, s.beta2, 1 - s.beta1, 1 - s.beta2, 1 - s.lr * s.weightDecay, s.eps, s.gradScale,
    1 - s.beta1 ** s.step, 1 - s.beta2 ** s.step],
  size: (s) => s.count,
});

/** out[0] (+)= sum of t[i]^2 in one workgroup.  t [P], out [1]. */
export const SUM_SQUARES = kernel({
  ...common, name: 'optimizer sumSquares', entry: 'sumSquares', bindings: ['t', 'out'],
  u32: (c: { count: number; accumulate: boolean }) => [c.count, +c.accumulate], size: () => [1, 1, 1] as const,
});
