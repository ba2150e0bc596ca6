// The kernels of elementwise.wgsl: swiglu, its backward, the residual add and dropout, one invocation per
// element. Sizes are checked by the caller (runtime/checked.ts); see elementwise.wgsl for the bindings.
import type { DropoutDims } from '../runtime/shapes.js';
import { kernel } from './kernel.js';
import src from './elementwise.wgsl';

const common = { module: 'elementwise.wgsl', source: src, wg: 64, u32: (count: number) => [count], size: (count: number) => count };

export const SWIGLU = kernel({ ...common, name: 'elementwise swiglu', entry: 'swiglu', bindings: ['gate', 'up', 'out'] });
export const SWIGLU_BACKWARD = kernel({
  ...common, name: 'elementwise swigluBackward', entry: 'swigluBackward', bindings: ['gate', 'up', 'dout', 'dgate', 'dup'],
});
export const ADD = kernel({ ...common, name: 'elementwise add', entry: 'add', bindings: ['a', 'y'] });

const dropout = {
  module: 'elementwise.wgsl', source: src, wg: 64,
  u32: (d: DropoutDims) => [d.count, d.seed, d.threshold], f32: (d: DropoutDims) => [d.scale], size: (d: DropoutDims) => d.count,
};
/** out = dropout(x) with the seed and threshold of dropoutKeeps. */
export const DROPOUT = kernel({ ...dropout, name: 'elementwise dropout', entry: 'dropout', bindings: ['a', 'y'] });
/** The same in place: a writable binding may not alias another binding. */
export const DROPOUT_IN_PLACE = kernel({ ...dropout, name: 'elementwise dropoutInPlace', entry: 'dropoutInPlace', bindings: ['xy'] });
