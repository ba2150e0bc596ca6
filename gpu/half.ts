// The kernels of half.wgsl: widen a float16 tensor into a float32 one and narrow a float32 tensor into a
// float16 one (the backend's weight/copy/read/write of half-precision weights, and the float32 temporaries
// of ops that do not read float16 themselves), one invocation per pair of elements. Sizes are checked by
// the caller.
import { kernel } from './kernel.js';
import src from './half.wgsl';

const common = { module: 'half.wgsl', source: src, wg: 64, u32: (count: number) => [count], size: (count: number) => Math.ceil(count / 2) };

/** wide[e] = half[e] for `count` elements. */
export const WIDEN = kernel({ ...common, name: 'half widen', entry: 'widen', bindings: ['half', 'wide'] });
/** half[e] = wide[e] rounded to float16, for `count` elements. */
export const NARROW = kernel({ ...common, name: 'half narrow', entry: 'narrow', bindings: ['wide', 'half'] });
