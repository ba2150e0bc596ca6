// Every backend op against the reference, on shapes chosen to hit the awkward cases: sizes that are not
// multiples of the kernels' tile widths, in < r, r = 1, batch > 1, every transpose form.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend, MatmulOptions, Tensor } from '../runtime/backend.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { F32_REL } from './tolerances.js';
import { fastBackends, randomArray, relError } from './helpers.js';

const ref = new ReferenceBackend();
let seed = 1;

/** Run `op` on the reference and on `b` with the same random inputs; compare every tensor afterwards. */
async function compare(b: Backend, what: string, shapes: number[][], op: (be: Backend, t: Tensor[]) => void) {
  const data = shapes.map((s) => randomArray(s.reduce((x, y) => x * y, 1), seed++));
  const mk = (be: Backend) => shapes.map((s, i) => be.tensor(s, data[i], `t${i}`));
  const rt = mk(ref), bt = mk(b);
  op(ref, rt);
  op(b, bt);
  for (let i = 0; i < shapes.length; i++) {
    const err = relError(await b.read(bt[i]), await ref.read(rt[i]));
    assert.ok(err <= F32_REL, `${b.name} ${what}: tensor ${i} [${shapes[i]}] rel err ${err.toExponential(2)} > ${F32_REL}`);
    b.dispose(bt[i]);
  }
}

const ops = suite('ops');
let backends: Backend[] = [];
ops.before(async () => {
  backends = await fastBackends();
  assert.ok(backends.length > 0, 'no fast backend to test');
});

ops('matmul: every transpose form, alpha, accumulate, batch', async () => {
  const cases: [number, number, number, number][] = [[1, 1, 1, 1], [1, 7, 5, 3], [1, 33, 17, 65], [3, 9, 12, 16], [1, 64, 64, 64], [2, 70, 40, 130]];
  for (const b of backends) {
    for (const [bt, m, n, k] of cases) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const o: MatmulOptions = { transA, transB, batch: bt, alpha: transA ? 0.5 : 1, accumulate: transB };
          const a = transA ? [bt, k, m] : [bt, m, k];
          const bb = transB ? [bt, n, k] : [bt, k, n];
          await compare(b, `matmul ${JSON.stringify({ bt, m, n, k, ...o })}`, [a, bb, [bt, m, n]],
            (be, [x, y, z]) => be.matmul(x, y, z, o));
        }
      }
    }
  }
});

ops('tile as a bias, copy', async () => {
  for (const b of backends) {
    await compare(b, 'tile bias', [[5, 13], [13]], (be, [y, bias]) => be.tile(bias, y));
    await compare(b, 'copy', [[37], [37]], (be, [s, d]) => be.copy(s, d));
  }
});

ops('fold and tile with padding (Bone): divisible, padded, in < r, r = 1', async () => {
  for (const b of backends) {
    for (const [n, inF, r] of [[4, 64, 16], [3, 70, 16], [2, 12, 16], [5, 9, 1], [7, 130, 64]]) {
      await compare(b, `fold ${n}x${inF} r=${r}`, [[n, inF], [n, r]], (be, [x, s]) => be.fold(x, s, true));
      await compare(b, `tile ${n}x${inF} r=${r}`, [[n, r], [n, inF]], (be, [ds, dx]) => be.tile(ds, dx, true));
    }
  }
});

ops('fold and tile of whole tiles (mini)', async () => {
  for (const b of backends) {
    for (const [n, out, m] of [[4, 48, 8], [3, 7, 1], [2, 30, 30], [5, 96, 32]]) {
      await compare(b, `tile ${n}x${out} m=${m}`, [[n, m], [n, out]], (be, [p, y]) => be.tile(p, y));
      await compare(b, `fold ${n}x${out} m=${m}`, [[n, out], [n, m]], (be, [g, f]) => be.fold(g, f));
    }
  }
});

ops('blockDelta: bone (M = O), mini, padded, in < r', async () => {
  for (const b of backends) {
    for (const [r, m, out, inF] of [[16, 48, 48, 64], [16, 40, 40, 70], [16, 20, 20, 12], [16, 8, 48, 64], [1, 7, 7, 9]]) {
      for (const sign of [1, -1] as const) {
        await compare(b, `blockDelta r=${r} m=${m} ${out}x${inF}`, [[r, m], [out, inF]], (be, [bb, w]) => be.blockDelta(bb, w, sign));
      }
    }
  }
});

ops('blockAffine and batGrad', async () => {
  for (const b of backends) {
    for (const [n, out, inF, r] of [[4, 32, 32, 8], [3, 48, 64, 16], [2, 6, 4, 2], [5, 64, 128, 64]]) {
      await compare(b, `blockAffine ${out}x${inF} r=${r}`, [[out, inF], [out / r, r, r], [out / r, r, r], [out, inF]],
        (be, [w, mm, c, dst]) => be.blockAffine(w, mm, c, dst));
      await compare(b, `batGrad n=${n} ${out}x${inF} r=${r}`, [[out, inF], [n, out], [n, inF], [out / r, r, r]],
        (be, [w, g, x, db]) => be.batGrad(w, g, x, db));
    }
  }
});

ops('shape errors are the same on every backend', async () => {
  for (const b of backends) {
    const a = b.tensor([2, 3]), c = b.tensor([2, 2]);
    assert.throws(() => b.matmul(a, a, c), /\[matmul\] shapes do not agree/);
    assert.throws(() => b.tile(b.tensor([2, 5]), b.tensor([2, 12])), /\[tile\]/);
    assert.throws(() => b.blockAffine(b.tensor([8, 6]), b.tensor([2, 4, 4]), b.tensor([2, 4, 4]), b.tensor([8, 6])), /in_features=6/);
  }
});

ops.run();
