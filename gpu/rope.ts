// The kernel of rope.wgsl: rotates x in place with the cos/sin table of the checked edge
// (runtime/checked.ts ropeTable), uploaded by the backend. Shapes are checked by the caller
// (runtime/shapes.ts ropeDims).
import type { RopeDims } from '../runtime/shapes.js';
import { kernel } from './kernel.js';
import src from './rope.wgsl';

/** Rotate x [N, Hx * E] in place by angle sign * a, table [N, 2, E/2] of (cos a, then sin a). */
export const ROPE = kernel({
  name: 'rope', module: 'rope.wgsl', source: src, entry: 'main', wg: 64, bindings: ['table', 'x'],
  u32: (d: RopeDims & { sign: number }) => [d.n * d.heads * (d.headDim / 2), d.heads, d.headDim / 2], f32: (d) => [d.sign],
  size: (d) => d.n * d.heads * (d.headDim / 2),
});
