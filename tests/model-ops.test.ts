// The transformer ops of Backend (runtime/backend.ts) on the reference backend: every backward
// against central differences of its forward on tiny random shapes (grouped-query attention with and
// without a sliding window, a batch of two sequences, ignored cross-entropy rows), plus the forward facts a
// gradient check cannot see (a window of 1 returns each token's own value; a window >= T is plain causal).
// The losses are L = sum(out * g) for a fixed random g (cross-entropy: the loss itself). These ops are not
// affine, so besides float32 rounding the central difference has an O(H^2) truncation error: about 1e-4
// relative at H = 1e-2 for these smooth functions of O(1) inputs, inside FD_REL.
// The fast backends are compared with this reference in tests/model-kernels.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Tensor, IGNORE_INDEX } from '../runtime/backend.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { FD_REL, F32_REL } from './tolerances.js';
import { randomArray, relError } from './helpers.js';

const H = 1e-2;
const b = new ReferenceBackend();
const ops = suite('model ops');
let seed = 100;
const rand = (shape: number[], label: string, scale = 1) =>
  b.tensor(shape, randomArray(shape.reduce((x, y) => x * y, 1), seed++).map((v) => v * scale), label);

/** sum(t * g) in float64. */
async function dot(t: Tensor, g: Float32Array): Promise<number> {
  const v = await b.read(t);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * g[i];
  return s;
}

/** Compare `analytic` = dL/dinput with central differences of `loss`. */
async function checkGrad(what: string, input: Tensor, analytic: Float32Array, loss: () => Promise<number>) {
  const values = await b.read(input);
  let worst = 0, scale = 0;
  for (let i = 0; i < values.length; i++) {
    const orig = values[i];
    values[i] = orig + H; b.write(input, values); const up = await loss();
    values[i] = orig - H; b.write(input, values); const down = await loss();
    values[i] = orig; b.write(input, values);
    worst = Math.max(worst, Math.abs((up - down) / (2 * H) - analytic[i]));
    scale = Math.max(scale, Math.abs(analytic[i]));
  }
  assert.ok(scale > 0, `${what}: the analytic gradient is all zeros`);
  assert.ok(worst / scale <= FD_REL, `${what}: FD mismatch ${(worst / scale).toExponential(2)} > ${FD_REL}`);
}

ops('rmsNorm backward (accumulating into dx)', async () => {
  const [n, d] = [3, 5];
  const x = rand([n, d], 'x'), w = rand([d], 'w'), g = randomArray(n * d, seed++);
  const y = b.tensor([n, d]), rstd = b.tensor([n]);
  const loss = async () => { b.rmsNorm(x, w, 1e-5, y, rstd); return dot(y, g); };
  await loss();
  const base = randomArray(n * d, seed++);
  const dx = b.tensor([n, d], base);
  b.rmsNormBackward(x, w, rstd, b.tensor([n, d], g), dx);
  const grad = (await b.read(dx)).map((v, i) => v - base[i]);
  await checkGrad('rmsNorm dx', x, grad, loss);
});

ops('rmsNorm weight gradient', async () => {
  const [n, d] = [4, 6];
  const x = rand([n, d], 'x'), w = rand([d], 'w'), g = randomArray(n * d, seed++);
  const y = b.tensor([n, d]), rstd = b.tensor([n]);
  const loss = async () => { b.rmsNorm(x, w, 1e-5, y, rstd); return dot(y, g); };
  await loss();
  const dw = b.tensor([d], randomArray(d, seed++)); // overwritten, not accumulated
  b.rmsNormWeightGrad(x, rstd, b.tensor([n, d], g), dw);
  await checkGrad('rmsNorm dw', w, await b.read(dw), loss);
});

ops('embedding gradient: repeated ids add up, accumulate or overwrite', async () => {
  const [v, d] = [5, 3];
  const ids = Int32Array.from([2, 0, 2, 4, 2]);
  const table = rand([v, d], 'table'), g = randomArray(ids.length * d, seed++);
  const out = b.tensor([ids.length, d]);
  const loss = async () => { b.embedding(ids, table, out); return dot(out, g); };
  const before = randomArray(v * d, seed++);
  const dtable = b.tensor([v, d], before);
  b.embeddingBackward(ids, b.tensor([ids.length, d], g), dtable, false);
  const grad = await b.read(dtable);
  await checkGrad('embedding dtable', table, grad, loss);
  b.embeddingBackward(ids, b.tensor([ids.length, d], g), dtable, true);
  assert.equal([...await b.read(dtable)], [...grad].map((x) => Math.fround(x + x)), 'accumulate adds the same gradient again');
  assert.throws(() => b.embeddingBackward(Int32Array.from([5]), b.tensor([1, d]), dtable, true), /\[embeddingBackward\] token id 5/);
});

ops('rope backward is the inverse rotation, at arbitrary positions', async () => {
  const [n, heads, e] = [3, 2, 4];
  const positions = Int32Array.from([0, 5, 2]);
  const invFreq = Float32Array.from([1, 0.1]);
  const x = rand([n, heads * e], 'x'), g = randomArray(n * heads * e, seed++);
  const y = b.tensor([n, heads * e]);
  const loss = async () => { b.copy(x, y); b.rope(y, positions, invFreq); return dot(y, g); };
  const dx = b.tensor([n, heads * e], g);
  b.ropeBackward(dx, positions, invFreq);
  await checkGrad('rope dx', x, await b.read(dx), loss);
  const first = await b.read(x); // position 0 is the identity rotation
  b.copy(x, y);
  b.rope(y, positions, invFreq);
  assert.equal(Array.from((await b.read(y)).subarray(0, heads * e)), Array.from(first.subarray(0, heads * e)));
});

for (const window of [null, 2]) {
  ops(`attention backward: 2 sequences, 4 query heads on 2 key/value heads, window ${window}`, async () => {
    const [bt, t, heads, kvHeads, e] = [2, 4, 4, 2, 3];
    const opts = { heads, kvHeads, window };
    const q = rand([bt, t, heads * e], 'q'), k = rand([bt, t, kvHeads * e], 'k'), v = rand([bt, t, kvHeads * e], 'v');
    const out = b.tensor(q.shape), lse = b.tensor([bt * t, heads]);
    const g = randomArray(q.size, seed++);
    const loss = async () => { b.attention(q, k, v, out, lse, opts); return dot(out, g); };
    await loss();
    const dq = b.tensor(q.shape), dk = b.tensor(k.shape), dv = b.tensor(v.shape);
    b.attentionBackward(q, k, v, out, lse, b.tensor(q.shape, g), dq, dk, dv, opts);
    await checkGrad('attention dq', q, await b.read(dq), loss);
    await checkGrad('attention dk', k, await b.read(dk), loss);
    await checkGrad('attention dv', v, await b.read(dv), loss);
  });
}

ops('attention forward: a window of 1 sees only its own token; a window >= T is plain causal', async () => {
  const [bt, t, heads, kvHeads, e] = [2, 5, 4, 2, 3];
  const q = rand([bt, t, heads * e], 'q'), k = rand([bt, t, kvHeads * e], 'k'), v = rand([bt, t, kvHeads * e], 'v');
  const out = b.tensor(q.shape), lse = b.tensor([bt * t, heads]);
  b.attention(q, k, v, out, lse, { heads, kvHeads, window: 1 });
  const o = await b.read(out), vv = await b.read(v);
  const own = new Float32Array(o.length).map((_, i) => {
    const row = Math.floor(i / (heads * e)), h = Math.floor(i / e) % heads;
    return vv[(row * kvHeads + Math.floor(h / (heads / kvHeads))) * e + (i % e)];
  });
  assert.ok(relError(o, own) <= F32_REL, 'window 1 returns v of the same token and group');
  b.attention(q, k, v, out, lse, { heads, kvHeads, window: null });
  const plain = await b.read(out);
  b.attention(q, k, v, out, lse, { heads, kvHeads, window: t });
  assert.equal(Array.from(await b.read(out)), Array.from(plain));
});

ops('swiglu backward', async () => {
  const gate = rand([2, 5], 'gate', 2), up = rand([2, 5], 'up'), g = randomArray(10, seed++);
  const out = b.tensor([2, 5]);
  const loss = async () => { b.swiglu(gate, up, out); return dot(out, g); };
  const dGate = b.tensor([2, 5]), dUp = b.tensor([2, 5]);
  b.swigluBackward(gate, up, b.tensor([2, 5], g), dGate, dUp);
  await checkGrad('swiglu dgate', gate, await b.read(dGate), loss);
  await checkGrad('swiglu dup', up, await b.read(dUp), loss);
});

ops('cross-entropy: mean over labelled rows, gradient, ignored rows, bad targets', async () => {
  const logits = rand([4, 6], 'logits', 3);
  const targets = Int32Array.from([1, IGNORE_INDEX, 5, 0]);
  const loss = b.tensor([1]), dlogits = b.tensor([4, 6]);
  const value = async () => { b.crossEntropy(logits, targets, loss, null); return (await b.read(loss))[0]; };
  b.crossEntropy(logits, targets, loss, dlogits);
  const grad = await b.read(dlogits);
  assert.equal(Array.from(grad.subarray(6, 12)), [0, 0, 0, 0, 0, 0], 'ignored row has no gradient');
  await checkGrad('crossEntropy dlogits', logits, grad, value);
  assert.throws(() => b.crossEntropy(logits, Int32Array.from([1, 2, 6, 0]), loss, null), /target 6 at row 2 is outside the vocabulary of 6/);
  assert.throws(() => b.crossEntropy(logits, new Int32Array(4).fill(IGNORE_INDEX), loss, null), /every target is -100/);
});

ops('embedding gathers rows and rejects ids outside the vocabulary', async () => {
  const table = rand([5, 3], 'table'), out = b.tensor([2, 3]);
  b.embedding(Int32Array.from([4, 0]), table, out);
  const t = await b.read(table);
  assert.equal(Array.from(await b.read(out)), [...t.subarray(12, 15), ...t.subarray(0, 3)]);
  assert.throws(() => b.embedding(Int32Array.from([5, 0]), table, out), /token id 5 at position 0 is outside the vocabulary of 5/);
});

ops.run();
