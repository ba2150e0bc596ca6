// The kernels of fold.wgsl: the two block-indexing primitives fold and tile (runtime/backend.ts), behind
// Bone's chunk sum and its scatter, mini's fold and tile, and a bias (one row of N * O tiled with width O).
// One invocation per output element, counted by the block plan (runtime/blocks.ts). Shapes are checked by
// the caller (runtime/checked.ts).
import { blockPlan } from '../runtime/blocks.js';
import type { FoldDims } from '../runtime/shapes.js';
import { kernel } from './kernel.js';
import src from './fold.wgsl';

const common = { module: 'fold.wgsl', source: src, wg: 64, u32: (d: FoldDims) => [d.rows, d.wide, d.narrow] };

/** narrow[n, j] = sum_t wide[n, t R + j], zero-padded.  wide [N, W], narrow [N, R] (overwritten). */
export const FOLD = kernel({ ...common, name: 'fold', entry: 'fold', bindings: ['wide', 'narrow'], size: (d: FoldDims) => blockPlan().foldInvocations(d.rows, d.narrow) });

/** wide[n, c] += narrow[n, c mod R].  narrow [N, R], wide [N, W]. */
export const TILE = kernel({ ...common, name: 'tile', entry: 'tile', bindings: ['narrow', 'wide'], size: (d: FoldDims) => blockPlan().tileInvocations(d.rows, d.wide) });
