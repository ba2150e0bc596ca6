// The invariant table: every adapter configuration crossed with every property PEFT promises, on every
// backend. Configurations cover Bone (divisible, padded, in < r), mini, Bat (square, rectangular), LoRA.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdaptedLinear } from '../runtime/adapters/linear.js';
import type { AdapterConfig } from '../runtime/adapters/config.js';
import type { Backend, Tensor } from '../runtime/backend.js';
import { F32_REL } from './tolerances.js';
import { randomArray, relError, testBackends } from './helpers.js';

interface Case { name: string; inF: number; out: number; config: AdapterConfig }
const cases: Case[] = [
  { name: 'bone', inF: 32, out: 24, config: { variant: 'bone', r: 8 } },
  { name: 'bone padded', inF: 21, out: 10, config: { variant: 'bone', r: 8 } },
  { name: 'bone in<r', inF: 5, out: 6, config: { variant: 'bone', r: 8 } },
  { name: 'mini', inF: 32, out: 24, config: { variant: 'mini', r: 8, miniR: 4 } },
  { name: 'bat', inF: 16, out: 16, config: { variant: 'bat', r: 4 } },
  { name: 'bat rect', inF: 24, out: 8, config: { variant: 'bat', r: 4 } },
  { name: 'lora', inF: 20, out: 12, config: { variant: 'lora', r: 4, alpha: 8 } },
];
const N = 5;

const inv = suite('invariants');
let backends: Backend[] = [];
inv.before(async () => { backends = await testBackends(); });

function setup(b: Backend, c: Case, seed: number) {
  const w = b.tensor([c.out, c.inF], randomArray(c.out * c.inF, seed), 'W');
  const bias = b.tensor([c.out], randomArray(c.out, seed + 1), 'bias');
  const layer = new AdaptedLinear(b, w, bias, c.name);
  const x = b.tensor([N, c.inF], randomArray(N * c.inF, seed + 2), 'x');
  return { w, bias, layer, x };
}

async function baseOutput(b: Backend, w: Tensor, bias: Tensor, x: Tensor): Promise<Float32Array> {
  const plain = new AdaptedLinear(b, w, bias, 'base');
  return b.read(plain.forward(x).y);
}

/** Give every adapter tensor small random values (a trained adapter, not the zero init). */
function randomise(b: Backend, layer: AdaptedLinear, seed: number) {
  for (const a of layer.adapters.values()) {
    for (const p of Object.values(a.params)) b.write(p, randomArray(p.size, seed++).map((v) => v * 0.2));
  }
}

const close = (what: string, a: Float32Array, e: Float32Array) => {
  const err = relError(a, e);
  assert.ok(err <= F32_REL, `${what}: rel err ${err.toExponential(2)} > ${F32_REL}`);
};

for (const c of cases) {
  inv(`${c.name}: zero init == base, merged == unmerged, disabled == base, unmerge restores, only adapters get gradients`, async () => {
    for (const b of backends) {
      const tag = `${b.name} ${c.name}`;
      const { w, bias, layer, x } = setup(b, c, 11);
      const w0 = await b.read(w), bias0 = await b.read(bias);
      const base = await baseOutput(b, w, bias, x);
      layer.addAdapter('a', c.config, 5);
      if (c.config.variant !== 'lora') close(`${tag} zero init`, await b.read(layer.forward(x).y), base);
      else close(`${tag} zero B`, await b.read(layer.forward(x).y), base);

      randomise(b, layer, 100);
      const { y, cache } = layer.forward(x);
      const adapted = await b.read(y);
      assert.ok(relError(adapted, base) > 1e-3, `${tag}: a non-zero adapter must change the output`);
      layer.backward(cache, b.tensor(y.shape, randomArray(y.size, 7), 'g'));
      close(`${tag} backward leaves W`, await b.read(w), w0);
      close(`${tag} backward leaves bias`, await b.read(bias), bias0);
      for (const g of Object.values(layer.get('a').grads)) assert.ok((await b.read(g)).some((v) => v !== 0), `${tag}: gradient ${g.label} is all zero`);

      layer.enabled = false;
      close(`${tag} disabled`, await b.read(layer.forward(x).y), base);
      layer.enabled = true;
      layer.active = [];
      close(`${tag} inactive`, await b.read(layer.forward(x).y), base);
      layer.active = ['a'];

      layer.merge();
      close(`${tag} merged == unmerged`, await b.read(layer.forward(x).y), adapted);
      assert.ok(relError(await b.read(w), w0) > 1e-4, `${tag}: merge must change W`);
      await layer.unmerge();
      close(`${tag} unmerge restores W`, await b.read(w), w0);
      close(`${tag} after unmerge`, await b.read(layer.forward(x).y), adapted);
    }
  });
}

inv('two additive adapters add up in any order; two Bat adapters compose and unmerge LIFO', async () => {
  for (const b of backends) {
    for (const c of [cases[0], cases[4]]) {
      const { w, layer, x } = setup(b, c, 21);
      const w0 = await b.read(w);
      layer.addAdapter('first', c.config);
      layer.addAdapter('second', c.config);
      randomise(b, layer, 200);
      const both = await b.read(layer.forward(x).y);
      layer.active = ['second', 'first'];
      const swapped = await b.read(layer.forward(x).y);
      if (c.config.variant === 'bone') close(`${b.name} bone order`, swapped, both);
      else assert.ok(relError(swapped, both) > 1e-4, `${b.name}: Bat composition must depend on order`);
      layer.active = ['first', 'second'];
      layer.merge();
      close(`${b.name} ${c.name} merged pair`, await b.read(layer.forward(x).y), both);
      await layer.unmerge();
      close(`${b.name} ${c.name} unmerged pair`, await b.read(w), w0);
    }
  }
});

inv('bad shapes and impossible operations give clear errors', async () => {
  const b = backends[backends.length - 1];
  const mk = (out: number, inF: number) => new AdaptedLinear(b, b.tensor([out, inF]), null, 'proj');
  assert.throws(() => mk(16, 70).addAdapter('a', { variant: 'bat', r: 16 }), /\[bat\] in_features=70 of proj is not divisible by r=16/);
  assert.throws(() => mk(20, 32).addAdapter('a', { variant: 'bat', r: 16 }), /\[bat\] out_features=20/);
  assert.throws(() => mk(20, 32).addAdapter('a', { variant: 'mini', r: 16, miniR: 8 }), /\[mini\] out_features=20 .* mini_r=8/);
  assert.throws(() => mk(20, 32).addAdapter('a', { variant: 'bone', r: 0 }), /\[bone\] r=0/);
  const mixed = mk(16, 16);
  mixed.addAdapter('a', { variant: 'bat', r: 4 });
  assert.throws(() => mixed.addAdapter('b', { variant: 'bone', r: 4 }), /cannot combine bone adapter "b" with bat/);
  assert.throws(() => mixed.forward(b.tensor([2, 15])), /does not end in in_features=16/);
  mixed.merge();
  mixed.enabled = false;
  assert.throws(() => mixed.forward(b.tensor([2, 16])), /unmerge\(\) before disabling/);
});

inv('Bat unmerge of a singular I + B_i names the block and leaves the weight untouched', async () => {
  for (const b of backends) {
    const { w, layer } = setup(b, cases[4], 31);
    const a = layer.addAdapter('a', cases[4].config);
    const r = 4, blocks = new Float32Array(16 / r * r * r);
    for (let j = 0; j < r; j++) blocks[2 * r * r + j * r + j] = -1; // I + B_2 = 0: singular
    b.write(a.params.block, blocks);
    layer.merge();
    const merged = await b.read(w);
    let message = '';
    try { await layer.unmerge(); } catch (e) { message = (e as Error).message; }
    assert.match(message, /\[bat\] cannot unmerge bat adapter "a": I \+ B_2 \(block 2, rows 8\.\.11\) is singular/);
    assert.equal(Array.from(await b.read(w)), Array.from(merged), `${b.name}: weight changed by a failed unmerge`);
    assert.equal(layer.merged, ['a']);
  }
});

inv.run();
