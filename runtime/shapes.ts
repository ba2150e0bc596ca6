// The shape checks of every op in runtime/backend.ts, written once so that every backend accepts the same
// calls and rejects bad ones with the same message (runtime/checked.ts calls them before any kernel runs).
// Each returns the dimensions its kernels need; the `...Dims` types are what the kernels take.
// Letters: see runtime/backend.ts.
import { type AttentionOptions, IGNORE_INDEX, type MatmulOptions, type Tensor, dropoutThreshold } from './backend.js';

function fail(op: string, msg: string): never {
  throw new Error(`[${op}] ${msg}`);
}
const fmt = (t: Tensor) => `${t.label} [${t.shape.join(', ')}]`;

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`[tensor] bad dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** Interpret a tensor as rows x cols with cols = last dimension. */
function rowsCols(t: Tensor): [number, number] {
  const cols = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  return [cols === 0 ? 0 : t.size / cols, cols];
}

export function sameSize(op: string, a: Tensor, b: Tensor): number {
  if (a.size !== b.size) fail(op, `${fmt(a)} and ${fmt(b)} differ in size`);
  return a.size;
}

/** The data given for a tensor of `size` elements. */
export function dataSize(label: string, size: number, data: ArrayLike<number>): void {
  if (data.length !== size) throw new Error(`[write] ${label} holds ${size} values, got ${data.length}`);
}

/** The matrix dimensions of a matmul call, with the options filled in. */
export interface MatmulDims { batch: number; m: number; n: number; k: number; transA: boolean; transB: boolean; alpha: number; accumulate: boolean }

export function matmulDims(a: Tensor, b: Tensor, c: Tensor, o: MatmulOptions = {}): MatmulDims {
  const batch = o.batch ?? 1;
  const two = (t: Tensor, name: string): [number, number] => {
    if (t.shape.length < 2) throw new Error(`[matmul] ${name} must be at least 2-D, got [${t.shape.join(', ')}]`);
    const cols = t.shape[t.shape.length - 1];
    const rows = t.size / cols / batch;
    if (!Number.isInteger(rows)) throw new Error(`[matmul] ${name} [${t.shape.join(', ')}] does not split into batch=${batch}`);
    return [rows, cols];
  };
  const [ar, ac] = two(a, 'A');
  const [br, bc] = two(b, 'B');
  const [cr, cc] = two(c, 'C');
  const [m, k] = o.transA ? [ac, ar] : [ar, ac];
  const [kb, n] = o.transB ? [bc, br] : [br, bc];
  if (k !== kb || cr !== m || cc !== n) {
    throw new Error(`[matmul] shapes do not agree: op(A) ${m}x${k}, op(B) ${kb}x${n}, C ${cr}x${cc} ` +
      `(transA=${!!o.transA}, transB=${!!o.transB}, batch=${batch})`);
  }
  return { batch, m, n, k, transA: !!o.transA, transB: !!o.transB, alpha: o.alpha ?? 1, accumulate: !!o.accumulate };
}

/** fold / tile: `rows` rows of a wide row of `wide` columns against a narrow row of `narrow` columns (R).
 *  A one-row narrow tensor tiled onto every row of wide (a bias) is one row of N * W columns. */
export interface FoldDims { rows: number; wide: number; narrow: number }

/** wide [N, W], narrow [N, R] (or [R] for tile onto every row); W % R == 0 unless `pad`. */
export function foldDims(op: 'fold' | 'tile', wide: Tensor, narrow: Tensor, pad: boolean): FoldDims {
  const [n, w] = rowsCols(wide);
  const [n2, r] = rowsCols(narrow);
  if (r === 0) fail(op, `${fmt(narrow)} has no columns`);
  const everyRow = op === 'tile' && narrow.shape.length === 1 && n !== 1;
  if (n !== n2 && !everyRow) fail(op, `${fmt(wide)} and ${fmt(narrow)} have different row counts`);
  if ((!pad || everyRow) && w % r !== 0) fail(op, `${w} columns of ${fmt(wide)} are not a multiple of ${r}`);
  return everyRow ? { rows: 1, wide: n * w, narrow: r } : { rows: n, wide: w, narrow: r };
}

/** b [R, M], w [O, I]. */
export interface BlockDeltaDims { r: number; m: number; out: number; inF: number }

export function blockDeltaDims(b: Tensor, w: Tensor): BlockDeltaDims {
  if (b.shape.length !== 2 || w.shape.length !== 2) fail('blockDelta', `expects 2-D ${fmt(b)} and ${fmt(w)}`);
  const [r, m] = b.shape;
  const [out, inF] = w.shape;
  if (out % m !== 0) fail('blockDelta', `out_features=${out} of ${fmt(w)} is not a multiple of ${m} (${fmt(b)})`);
  return { r, m, out, inF };
}

/** w [O, I], blocks [O/R, R, R]; n tokens for batGrad. */
export interface BatDims { out: number; inF: number; r: number; n: number }

export function batDims(op: string, w: Tensor, ...blocks: Tensor[]): BatDims {
  if (w.shape.length !== 2) fail(op, `expects a 2-D weight, got ${fmt(w)}`);
  const [out, inF] = w.shape;
  const r = blocks[0].shape[1];
  for (const b of blocks) {
    if (b.shape.length !== 3 || b.shape[1] !== r || b.shape[2] !== r || b.shape[0] * r !== out) {
      fail(op, `${fmt(b)} must be [${out}/r, r, r] for weight ${fmt(w)}`);
    }
  }
  if (inF % r !== 0) fail(op, `in_features=${inF} of ${fmt(w)} is not a multiple of r=${r}`);
  return { out, inF, r, n: 0 };
}

/** w [O, I], g [N, O], x [N, I], db [O/R, R, R]: batGrad. */
export function batGradDims(w: Tensor, g: Tensor, x: Tensor, db: Tensor): BatDims {
  const d = batDims('batGrad', w, db);
  const n = g.size / d.out;
  if (!Number.isInteger(n) || x.size !== n * d.inF) {
    fail('batGrad', `x [${x.shape}] does not match g [${g.shape}] and w [${w.shape}]`);
  }
  return { ...d, n };
}

/** ids [N], table [V, D], out [N, D]. */
export interface EmbeddingDims { n: number; vocab: number; width: number }

export function embeddingDims(ids: Int32Array, table: Tensor, out: Tensor, op = 'embedding'): EmbeddingDims {
  if (table.shape.length !== 2) fail(op, `table ${fmt(table)} must be [vocab, width]`);
  const [vocab, width] = table.shape;
  if (out.size !== ids.length * width) fail(op, `${fmt(out)} must hold ${ids.length} rows of ${width}`);
  for (let n = 0; n < ids.length; n++) {
    if (!(ids[n] >= 0 && ids[n] < vocab)) fail(op, `token id ${ids[n]} at position ${n} is outside the vocabulary of ${vocab} (wrong tokenizer for this model?)`);
  }
  return { n: ids.length, vocab, width };
}

/** x, y [N, D], w [D], rstd [N]. */
export interface RowDims { n: number; width: number }

/** x, y [N, D], w [D], rstd [N]; dy/dx alike for the backward pass. */
export function rmsNormDims(op: string, x: Tensor, w: Tensor, rstd: Tensor, ...same: Tensor[]): RowDims {
  const [n, width] = rowsCols(x);
  if (w.size !== width) fail(op, `weight ${fmt(w)} does not match the ${width} columns of ${fmt(x)}`);
  if (rstd.size !== n) fail(op, `${fmt(rstd)} must hold one value per row of ${fmt(x)} (${n})`);
  for (const t of same) sameSize(op, x, t);
  return { n, width };
}

/** x [N, Hx * E], positions [N], invFreq [E/2]. */
export interface RopeDims { n: number; heads: number; headDim: number }

export function ropeDims(op: string, x: Tensor, positions: Int32Array, invFreq: Float32Array): RopeDims {
  const [n, cols] = rowsCols(x);
  const headDim = 2 * invFreq.length;
  if (headDim === 0 || cols % headDim !== 0) fail(op, `${cols} columns of ${fmt(x)} are not whole heads of ${headDim} (invFreq has ${invFreq.length} values)`);
  if (positions.length !== n) fail(op, `${positions.length} positions for the ${n} rows of ${fmt(x)}`);
  return { n, heads: cols / headDim, headDim };
}

export interface AttentionDims { batch: number; seq: number; heads: number; kvHeads: number; headDim: number; window: number | null }

/** q, out [Bt, T, H * E]; k, v [Bt, T, Hk * E]; lse [N, H]; backward: dq like q, dk and dv like k. */
export function attentionDims(op: string, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions, grads: Tensor[] = []): AttentionDims {
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
  return { batch, seq, heads, kvHeads, headDim, window: windowOf(op, o) };
}

function windowOf(op: string, o: AttentionOptions): number | null {
  const window = o.window ?? null;
  if (window !== null && !(Number.isInteger(window) && window > 0)) fail(op, `window=${window} must be a positive integer or null`);
  return window;
}

/** attentionDecode: Tq new tokens after P cached ones, in caches of capacity C. */
export interface DecodeDims extends AttentionDims { tq: number; capacity: number; past: number }

export function attentionDecodeDims(q: Tensor, kNew: Tensor, vNew: Tensor, kCache: Tensor, vCache: Tensor, past: number, out: Tensor, o: AttentionOptions): DecodeDims {
  const op = 'attentionDecode';
  if (q.shape.length !== 3 || kCache.shape.length !== 3) fail(op, `q [${q.shape}] and the caches [${kCache.shape}] must be 3-D`);
  const [batch, tq, qCols] = q.shape;
  const { heads, kvHeads } = o;
  if (!(heads > 0 && kvHeads > 0 && heads % kvHeads === 0) || qCols % heads !== 0) fail(op, `q [${q.shape}] does not split into ${heads} heads over ${kvHeads} key/value heads`);
  const headDim = qCols / heads;
  const [cb, capacity, kvCols] = kCache.shape;
  if (cb !== batch || kvCols !== kvHeads * headDim) fail(op, `cache [${kCache.shape}] must be [${batch}, capacity, ${kvHeads * headDim}]`);
  if (vCache.shape.join() !== kCache.shape.join()) fail(op, `value cache [${vCache.shape}] differs from key cache [${kCache.shape}]`);
  for (const t of [kNew, vNew]) if (t.shape.join() !== [batch, tq, kvCols].join()) fail(op, `${t.label} [${t.shape}] must be [${batch}, ${tq}, ${kvCols}]`);
  if (out.size !== q.size) fail(op, `out [${out.shape}] must match q [${q.shape}]`);
  if (!Number.isInteger(past) || past < 0 || past + tq > capacity) fail(op, `${past} cached + ${tq} new tokens exceed the cache capacity ${capacity}`);
  return { batch, seq: tq, tq, heads, kvHeads, headDim, capacity, past, window: o.window ?? null };
}

/** logits [N, V], targets [N]; count = the labelled rows. */
export interface CrossEntropyDims { n: number; vocab: number; count: number }

/** The targets of a loss: each in [0, vocab) or IGNORE_INDEX, at least one labelled. `what` names a
 *  target in the message (a position's label, or a row's target); `at` maps an index to the position named. */
export function labelCount(op: string, targets: Int32Array, vocab: number, what = 'target', at = (i: number) => `row ${i}`): number {
  let count = 0;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    if (t === IGNORE_INDEX) continue;
    if (!(t >= 0 && t < vocab)) fail(op, `${what} ${t} at ${at(i)} is outside the vocabulary of ${vocab} (use ${IGNORE_INDEX} to leave a position out of the loss)`);
    count++;
  }
  return count;
}

/** logits [N, V], targets [N] (each in [0, V) or -100), loss [1], dlogits [N, V] or null. */
export function crossEntropyDims(logits: Tensor, targets: Int32Array, loss: Tensor, dlogits: Tensor | null): CrossEntropyDims {
  const [n, vocab] = rowsCols(logits);
  if (targets.length !== n) fail('crossEntropy', `${targets.length} targets for the ${n} rows of ${fmt(logits)}`);
  if (loss.size !== 1) fail('crossEntropy', `loss ${fmt(loss)} must hold one value`);
  if (dlogits) sameSize('crossEntropy', logits, dlogits);
  const count = labelCount('crossEntropy', targets, vocab);
  if (count === 0) fail('crossEntropy', `every target is ${IGNORE_INDEX}: the loss is undefined (the batch has no labelled tokens)`);
  return { n, vocab, count };
}

/** sumSquares' output: one value. */
export function scalarDims(op: string, out: Tensor): void {
  if (out.size !== 1) fail(op, `${out.label} must hold one value, has ${out.size}`);
}

/** Dropout's parameters for the kernels: the u32 threshold of dropoutKeeps for probability p, and the
 *  scale 1 / (1 - p) of the kept values. */
export interface DropoutDims { count: number; seed: number; threshold: number; scale: number }

export function dropoutDims(x: Tensor, out: Tensor, p: number, seed: number): DropoutDims {
  const count = sameSize('dropout', x, out);
  return { count, seed: seed >>> 0, threshold: dropoutThreshold(p), scale: 1 / (1 - p) };
}
