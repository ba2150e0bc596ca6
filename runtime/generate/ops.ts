// The op generation adds to the model's: attention over a key/value cache, so that each new token costs
// one row of attention instead of recomputing the whole sequence.
// Letters: see runtime/model/ops.ts; P = tokens already in the cache, Tq = new tokens, C = cache capacity.
import type { Tensor } from '../backend.js';
import type { AttentionOptions, ModelBackend } from '../model/ops.js';

export interface GenerateBackend extends ModelBackend {
  /** Append the new keys and values at rows P..P+Tq-1 of the caches, then causal attention of the new
   *  queries over every cached position: query t sits at position P + t and sees positions s <= P + t
   *  (inside the window when one is set). Scores scaled by 1/sqrt(E), grouped-query heads as in `attention`.
   *  q, out [Bt, Tq, H*E]; kNew, vNew [Bt, Tq, Hk*E]; kCache, vCache [Bt, C, Hk*E] with P + Tq <= C. */
  attentionDecode(q: Tensor, kNew: Tensor, vNew: Tensor, kCache: Tensor, vCache: Tensor, past: number, out: Tensor, options: AttentionOptions): void;
}

/** Shape check shared by every backend's attentionDecode. */
export function attentionDecodeDims(q: Tensor, kNew: Tensor, vNew: Tensor, kCache: Tensor, vCache: Tensor, past: number, out: Tensor, o: AttentionOptions) {
  const fail = (msg: string): never => { throw new Error(`[attentionDecode] ${msg}`); };
  if (q.shape.length !== 3 || kCache.shape.length !== 3) fail(`q [${q.shape}] and the caches [${kCache.shape}] must be 3-D`);
  const [batch, tq, qCols] = q.shape;
  const { heads, kvHeads } = o;
  if (!(heads > 0 && kvHeads > 0 && heads % kvHeads === 0) || qCols % heads !== 0) fail(`q [${q.shape}] does not split into ${heads} heads over ${kvHeads} key/value heads`);
  const headDim = qCols / heads;
  const [cb, capacity, kvCols] = kCache.shape;
  if (cb !== batch || kvCols !== kvHeads * headDim) fail(`cache [${kCache.shape}] must be [${batch}, capacity, ${kvHeads * headDim}]`);
  if (vCache.shape.join() !== kCache.shape.join()) fail(`value cache [${vCache.shape}] differs from key cache [${kCache.shape}]`);
  for (const t of [kNew, vNew]) if (t.shape.join() !== [batch, tq, kvCols].join()) fail(`${t.label} [${t.shape}] must be [${batch}, ${tq}, ${kvCols}]`);
  if (out.size !== q.size) fail(`out [${out.shape}] must match q [${q.shape}]`);
  if (!Number.isInteger(past) || past < 0 || past + tq > capacity) fail(`${past} cached + ${tq} new tokens exceed the cache capacity ${capacity}`);
  const window = o.window ?? null;
  return { batch, tq, heads, kvHeads, headDim, capacity, past, window };
}
