// The kernel of embeddingBackward.wgsl: the embedding's gradient, with the batch's positions grouped by token
// on the CPU (the ids are on the CPU anyway) so that each table element sums its own positions. Ids and
// shapes are checked by the caller (runtime/shapes.ts embeddingDims).
import type { EmbeddingDims } from '../runtime/shapes.js';
import type { GpuContext } from './device.js';
import { kernel } from './kernel.js';
import src from './embeddingBackward.wgsl';

interface Call { vocab: number; width: number; accumulate: boolean; distinct: number }

const EMBEDDING_BACKWARD = kernel({
  name: 'embedding backward', module: 'embeddingBackward.wgsl', source: src, entry: 'main', wg: 64,
  bindings: ['groups', 'dout', 'dtable'], u32: (c: Call) => [c.vocab, c.width, +c.accumulate, c.distinct], size: (c) => c.vocab * c.width,
});

/** [V] slot per token (0xffffffff when absent), [U + 1] slot starts, [N] positions grouped by token in order. */
export function groupByToken(ids: Int32Array, vocab: number): { groups: Uint32Array; distinct: number } {
  const slot = new Uint32Array(vocab).fill(0xffffffff);
  const counts: number[] = [];
  for (const id of ids) {
    if (slot[id] === 0xffffffff) { slot[id] = counts.length; counts.push(0); }
    counts[slot[id]]++;
  }
  const distinct = counts.length;
  const groups = new Uint32Array(vocab + distinct + 1 + ids.length);
  groups.set(slot);
  const starts = groups.subarray(vocab, vocab + distinct + 1);
  for (let u = 0; u < distinct; u++) starts[u + 1] = starts[u] + counts[u];
  const next = starts.slice(0, distinct);
  const positions = groups.subarray(vocab + distinct + 1);
  ids.forEach((id, n) => { positions[next[slot[id]]++] = n; });
  return { groups, distinct };
}

/** dtable[ids[n], :] (+)= dout[n, :].  dout [N, D], dtable [V, D] (float32, within one binding). */
export function embeddingBackward(ctx: GpuContext, label: string, ids: Int32Array, dout: GPUBuffer, dtable: GPUBuffer,
  d: EmbeddingDims, accumulate: boolean): void {
  const { groups, distinct } = groupByToken(ids, d.vocab);
  const staged = ctx.staged(new Int32Array(groups.buffer), `${label}: positions by token`);
  ctx.launch(EMBEDDING_BACKWARD, label, { vocab: d.vocab, width: d.width, accumulate, distinct }, [staged, dout, dtable]);
}
