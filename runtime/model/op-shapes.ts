// Shape (and CPU-side index) checks for the transformer ops of runtime/model/ops.ts, done once here so every
// ModelBackend accepts the same calls and rejects bad ones with the same message. Each returns the
// dimensions the kernels need. Letters: see runtime/model/ops.ts.
import type { Tensor } from '../backend.js';
import { rowsCols, sameSize } from '../op-shapes.js';
import { type AttentionOptions, IGNORE_INDEX } from './ops.js';

function fail(op: string, msg: string): never {
  throw new Error(`[${op}] ${msg}`);
}
const fmt = (t: Tensor) => `${t.label} [${t.shape.join(', ')}]`;

/** ids [N], table [V, D], out [N, D]. */
export function embeddingDims(ids: Int32Array, table: Tensor, out: Tensor) {
  if (table.shape.length !== 2) fail('embedding', `table ${fmt(table)} must be [vocab, width]`);
  const [vocab, width] = table.shape;
  if (out.size !== ids.length * width) fail('embedding', `${fmt(out)} must hold ${ids.length} rows of ${width}`);
  for (let n = 0; n < ids.length; n++) {
    if (!(ids[n] >= 0 && ids[n] < vocab)) fail('embedding', `token id ${ids[n]} at position ${n} is outside the vocabulary of ${vocab} (wrong tokenizer for this model?)`);
  }
  return { n: ids.length, vocab, width };
}

/** x, y [N, D], w [D], rstd [N]; dy/dx alike for the backward pass. */
export function rmsNormDims(op: string, x: Tensor, w: Tensor, rstd: Tensor, ...same: Tensor[]) {
  const [n, width] = rowsCols(x);
  if (w.size !== width) fail(op, `weight ${fmt(w)} does not match the ${width} columns of ${fmt(x)}`);
  if (rstd.size !== n) fail(op, `${fmt(rstd)} must hold one value per row of ${fmt(x)} (${n})`);
  for (const t of same) sameSize(op, x, t);
  return { n, width };
}

/** x [N, Hx * E], positions [N], invFreq [E/2]. */
export function ropeDims(op: string, x: Tensor, positions: Int32Array, invFreq: Float32Array) {
  const [n, cols] = rowsCols(x);
  const headDim = 2 * invFreq.length;
  if (headDim === 0 || cols % headDim !== 0) fail(op, `${cols} columns of ${fmt(x)} are not whole heads of ${headDim} (invFreq has ${invFreq.length} values)`);
  if (positions.length !== n) fail(op, `${positions.length} positions for the ${n} rows of ${fmt(x)}`);
  return { n, heads: cols / headDim, headDim };
}

/** q, out [Bt, T, H * E]; k, v [Bt, T, Hk * E]; lse [N, H]; backward: dq like q, dk and dv like k. */
export function attentionDims(op: string, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions, grads: Tensor[] = []) {
  const { heads, kvHeads } = o;
  if (q.shape.length !== 3) fail(op, `q ${fmt(q)} must be [batch, seq, heads * head_dim]`);
  const [batch, seq, qCols] = q.shape;
  if (!(heads > 0 && kvHeads > 0 && heads % kvHeads === 0)) fail(op, `heads=${heads} must be a positive multiple of kvHeads=${kvHeads}`);
  if (qCols % heads !== 0) fail(op, `${qCols} columns of q ${fmt(q)} do not split into ${heads} heads`);
  const headDim = qCols / heads;
  const kvShape = [batch, seq, kvHeads * headDim];
  for (const t of [k, v]) {
    if (t.shape.length !== 3 || t.shape.some((d, i) => d !== kvShape[i])) fail(op, `${fmt(t)} must be [${kvShape.join(', ')}] (q ${fmt(q)}, ${kvHeads} key/value heads)`);
  }
  sameSize(op, q, out);
  if (lse.size !== batch * seq * heads) fail(op, `${fmt(lse)} must hold ${batch * seq} x ${heads} values`);
  if (grads.length) {
    sameSize(op, q, grads[0]);
    sameSize(op, k, grads[1]);
    sameSize(op, v, grads[2]);
    sameSize(op, q, grads[3]);
  }
  const window = o.window ?? null;
  if (window !== null && !(Number.isInteger(window) && window > 0)) fail(op, `window=${window} must be a positive integer or null`);
  return { batch, seq, heads, kvHeads, headDim, window };
}

/** logits [N, V], targets [N] (each in [0, V) or -100), loss [1], dlogits [N, V] or null. */
export function crossEntropyDims(logits: Tensor, targets: Int32Array, loss: Tensor, dlogits: Tensor | null) {
  const [n, vocab] = rowsCols(logits);
  if (targets.length !== n) fail('crossEntropy', `${targets.length} targets for the ${n} rows of ${fmt(logits)}`);
  if (loss.size !== 1) fail('crossEntropy', `loss ${fmt(loss)} must hold one value`);
  if (dlogits) sameSize('crossEntropy', logits, dlogits);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (t === IGNORE_INDEX) continue;
    if (!(t >= 0 && t < vocab)) fail('crossEntropy', `target ${t} at row ${i} is outside the vocabulary of ${vocab} (use ${IGNORE_INDEX} to leave a position out of the loss)`);
    count++;
  }
  if (count === 0) fail('crossEntropy', `every target is ${IGNORE_INDEX}: the loss is undefined (the batch has no labelled tokens)`);
  return { n, vocab, count };
}
