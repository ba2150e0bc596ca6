// The kernel of blockDelta.wgsl (Bone and mini merge / unmerge). Shapes are checked by the caller
// (runtime/checked.ts).
import { blockPlan } from '../runtime/blocks.js';
import type { BlockDeltaDims } from '../runtime/shapes.js';
import { kernel } from './kernel.js';
import src from './blockDelta.wgsl';

/** w[o, c] += sign * b[c mod R, o mod M].  b [R, M], w [O, I]. */
export const BLOCK_DELTA = kernel({
  name: 'blockDelta', module: 'blockDelta.wgsl', source: src, entry: 'main', wg: 64, bindings: ['b', 'w'],
  u32: (d: BlockDeltaDims & { sign: number }) => [d.out, d.inF, d.r, d.m], f32: (d) => [d.sign],
  size: (d) => blockPlan().tileInvocations(d.out, d.inF),
});
