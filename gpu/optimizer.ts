// The kernels of optimizer.wgsl (with reduce.wgsl) and stepStats.wgsl: AdamW, the squared norm for gradient
// clipping, and the step's scale, loss and norm. Sizes are checked by the caller (runtime/checked.ts).
import type { AdamWStep, ClipOptions } from '../runtime/backend.js';
import { kernel } from './kernel.js';
import finite from './finite.wgsl';
import reduce from './reduce.wgsl';
import src from './optimizer.wgsl';
import stepStatsSrc from './stepStats.wgsl';

const common = { module: 'optimizer.wgsl', source: finite + reduce + src, wg: 256 };

/** One AdamW step in place, its gradient scaled by scale[0] (skipped when that is not finite).
 *  param, grad, m, v [P]; scale [S]. */
export const ADAMW = kernel({
  ...common, name: 'optimizer adamw', entry: 'adamw', bindings: ['param', 'grad', 'm', 'v', 'scale'],
  u32: (s: AdamWStep & { count: number }) => [s.count, 0],
  f32: (s) => [s.lr, s.beta1, s.beta2, 1 - s.beta1, 1 - s.beta2, 1 - s.lr * s.weightDecay, s.eps,
    1 - s.beta1 ** s.step, 1 - s.beta2 ** s.step],
  size: (s) => s.count,
});

/** out[0] (+)= sum of t[i]^2 in one workgroup.  t [P], out [1]. */
export const SUM_SQUARES = kernel({
  ...common, name: 'optimizer sumSquares', entry: 'sumSquares', bindings: ['t', 'out'],
  u32: (c: { count: number; accumulate: boolean }) => [c.count, +c.accumulate], size: () => [1, 1, 1] as const,
});

/** stats [3] = [scale, loss, gradNorm] from loss [1] and normSq [1]. */
export const STEP_STATS = kernel({
  module: 'stepStats.wgsl', source: finite + stepStatsSrc, wg: 1, constants: {}, name: 'stepStats', entry: 'stepStats',
  bindings: ['loss', 'normSq', 'stats'], u32: () => [], f32: (c: ClipOptions) => [c.maxNorm, c.divisor], size: () => [1, 1, 1] as const,
});
