// Finite-difference checks of every variant's analytic gradients (adapter parameters and the layer input)
// on tiny random shapes, on every backend. The loss is L = sum(y * g) for a fixed random g, so dL/dy = g.
// Every variant's output is affine in any single parameter entry, so a central difference is
// exact up to float32 rounding of the forward pass; FD_REL covers that rounding at step H.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdaptedLinear } from '../runtime/adapters/linear.js';
import type { AdapterConfig } from '../runtime/adapters/config.js';
import type { Backend, Tensor } from '../runtime/backend.js';
import { FD_REL } from './tolerances.js';
import { randomArray, relError, testBackends } from './helpers.js';

const H = 1e-2;
const configs: [string, number, number, AdapterConfig[]][] = [
  ['bone padded', 11, 6, [{ variant: 'bone', r: 4 }]],
  ['bone two', 8, 6, [{ variant: 'bone', r: 4 }, { variant: 'bone', r: 3 }]],
  ['mini', 8, 6, [{ variant: 'mini', r: 4, miniR: 2 }]],
  ['bat', 8, 4, [{ variant: 'bat', r: 2 }]],
  ['bat chain', 6, 6, [{ variant: 'bat', r: 3 }, { variant: 'bat', r: 3 }, { variant: 'bat', r: 3 }]],
  ['lora', 7, 5, [{ variant: 'lora', r: 2, alpha: 4 }]],
  // With dropout (training: a fixed seed fixes the mask, so the layer stays affine in each entry).
  ['bone dropout', 11, 6, [{ variant: 'bone', r: 4, dropout: 0.3 }]],
  ['mini dropout', 8, 6, [{ variant: 'mini', r: 4, miniR: 2, dropout: 0.3 }]],
  ['lora dropout', 7, 5, [{ variant: 'lora', r: 2, alpha: 4, dropout: 0.3 }]],
];
const N = 3;

const grad = suite('gradients');
let backends: Backend[] = [];
grad.before(async () => { backends = await testBackends(); });

for (const [name, inF, out, list] of configs) {
  grad(`${name}: analytic gradients match central differences`, async () => {
    const dropout = list.some((c) => 'dropout' in c);
    for (const b of backends) {
      const layer = new AdaptedLinear(b, b.tensor([out, inF], randomArray(out * inF, 1), 'W'), b.tensor([out], randomArray(out, 2), 'bias'), name);
      if (dropout) layer.dropoutSeed = 1234;
      list.forEach((c, i) => {
        const a = layer.addAdapter(`a${i}`, c, i);
        for (const p of Object.values(a.params)) b.write(p, randomArray(p.size, 10 + i).map((v) => v * 0.3));
      });
      const x = b.tensor([N, inF], randomArray(N * inF, 3), 'x');
      const gData = randomArray(N * out, 4);
      const g = b.tensor([N, out], gData, 'g');
      const loss = async () => {
        const { y, cache } = layer.forward(x);
        const v = await b.read(y);
        layer.disposeCache(cache);
        b.dispose(y);
        let s = 0;
        for (let i = 0; i < v.length; i++) s += v[i] * gData[i];
        return s;
      };
      const { cache } = layer.forward(x);
      const dx = await b.read(layer.backward(cache, g)!);

      const checkTensor = async (what: string, t: Tensor, analytic: Float32Array) => {
        const values = await b.read(t);
        let worst = 0, scale = 0;
        for (let i = 0; i < t.size; i++) {
          const orig = values[i];
          values[i] = orig + H; b.write(t, values); const up = await loss();
          values[i] = orig - H; b.write(t, values); const down = await loss();
          values[i] = orig; b.write(t, values);
          worst = Math.max(worst, Math.abs((up - down) / (2 * H) - analytic[i]));
          scale = Math.max(scale, Math.abs(analytic[i]));
        }
        assert.ok(worst / scale <= FD_REL, `${b.name} ${name} ${what}: FD mismatch ${(worst / scale).toExponential(2)} > ${FD_REL}`);
      };
      for (const a of layer.adapters.values()) {
        for (const [p, t] of Object.entries(a.params)) await checkTensor(`${a.name}.${p}`, t, await b.read(a.grads[p]));
      }
      await checkTensor('dx', x, dx);
    }
  });
}

grad('dropout: off without a seed, a fresh mask per seed, inverted scaling', async () => {
  for (const b of backends) {
    const layer = new AdaptedLinear(b, b.tensor([6, 64], randomArray(384, 1), 'W'), null, 'drop');
    const a = layer.addAdapter('a', { variant: 'bone', r: 8, dropout: 0.5 });
    b.write(a.params.block, randomArray(48, 2));
    const x = b.tensor([4, 64], randomArray(256, 3), 'x');
    const plain = await b.read(layer.forward(x).y);
    layer.dropoutSeed = 1;
    const first = await b.read(layer.forward(x).y);
    const again = await b.read(layer.forward(x).y);
    layer.dropoutSeed = 2;
    const other = await b.read(layer.forward(x).y);
    assert.equal(Array.from(again), Array.from(first), `${b.name}: same seed, same mask`);
    assert.ok(relError(first, plain) > 1e-3 && relError(other, first) > 1e-3, `${b.name}: dropout changes the output per seed`);
    const ones = b.tensor([100000], new Float32Array(100000).fill(1), 'ones');
    b.dropout(ones, ones, 0.25, 9);
    const kept = await b.read(ones);
    const mean = kept.reduce((s, v) => s + v, 0) / kept.length;
    assert.ok(Math.abs(mean - 1) < 0.02, `${b.name}: inverted dropout keeps the mean (${mean})`);
    assert.ok(kept.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6), `${b.name}: kept values are scaled by 1/(1-p)`);
  }
});

grad.run();
