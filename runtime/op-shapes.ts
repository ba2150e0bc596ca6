// Shape checks for every backend op, done once here so that all backends accept the same calls and reject
// bad ones with the same message. Each returns the dimensions the kernels need.
// Letters: see runtime/backend.ts.
import type { Tensor } from './backend.js';

function fail(op: string, msg: string): never {
  throw new Error(`[${op}] ${msg}`);
}
const fmt = (t: Tensor) => `${t.label} [${t.shape.join(', ')}]`;

/** Interpret a tensor as rows x cols with cols = last dimension. */
export function rowsCols(t: Tensor): [number, number] {
  const cols = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  return [cols === 0 ? 0 : t.size / cols, cols];
}

export function sameSize(op: string, a: Tensor, b: Tensor): number {
  if (a.size !== b.size) fail(op, `${fmt(a)} and ${fmt(b)} differ in size`);
  return a.size;
}

/** y [N,O], bias [O]. */
export function biasDims(y: Tensor, bias: Tensor) {
  const [n, out] = rowsCols(y);
  if (bias.size !== out) fail('addBias', `${fmt(bias)} does not match the ${out} columns of ${fmt(y)}`);
  return { n, out };
}

/** wide [N, W], narrow [N, R]: chunkSum / chunkScatterAdd (W = I) and tileAdd / foldSum (W = O). */
export function tileDims(op: string, wide: Tensor, narrow: Tensor, needsDivisible: boolean) {
  const [n, w] = rowsCols(wide);
  const [n2, r] = rowsCols(narrow);
  if (n !== n2) fail(op, `${fmt(wide)} and ${fmt(narrow)} have different row counts`);
  if (r === 0) fail(op, `${fmt(narrow)} has no columns`);
  if (needsDivisible && w % r !== 0) fail(op, `${w} columns of ${fmt(wide)} are not a multiple of ${r}`);
  return { n, wide: w, r };
}

/** b [R, M], w [O, I]. */
export function blockDeltaDims(b: Tensor, w: Tensor) {
  if (b.shape.length !== 2 || w.shape.length !== 2) fail('blockDelta', `expects 2-D ${fmt(b)} and ${fmt(w)}`);
  const [r, m] = b.shape;
  const [out, inF] = w.shape;
  if (out % m !== 0) fail('blockDelta', `out_features=${out} of ${fmt(w)} is not a multiple of ${m} (${fmt(b)})`);
  return { r, m, out, inF };
}

/** w [O, I], blocks [O/R, R, R]. */
export function batDims(op: string, w: Tensor, ...blocks: Tensor[]) {
  if (w.shape.length !== 2) fail(op, `expects a 2-D weight, got ${fmt(w)}`);
  const [out, inF] = w.shape;
  const r = blocks[0].shape[1];
  for (const b of blocks) {
    if (b.shape.length !== 3 || b.shape[1] !== r || b.shape[2] !== r || b.shape[0] * r !== out) {
      fail(op, `${fmt(b)} must be [${out}/r, r, r] for weight ${fmt(w)}`);
    }
  }
  if (inF % r !== 0) fail(op, `in_features=${inF} of ${fmt(w)} is not a multiple of r=${r}`);
  return { out, inF, r };
}

/** w [O, I], g [N, O], x [N, I], db [O/R, R, R]: batGrad. */
export function batGradDims(w: Tensor, g: Tensor, x: Tensor, db: Tensor) {
  const d = batDims('batGrad', w, db);
  const n = g.size / d.out;
  if (!Number.isInteger(n) || x.size !== n * d.inF) {
    fail('batGrad', `x [${x.shape}] does not match g [${g.shape}] and w [${w.shape}]`);
  }
  return { ...d, n };
}
