// Every PEFT fixture case (tests/fixtures/peft, PEFT's own MissLinear outputs) on every backend:
// forward, input and block gradients, merge, merged forward, unmerge.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdaptedLinear } from '../runtime/adapters/linear.js';
import type { AdapterConfig } from '../runtime/adapters/config.js';
import type { Backend } from '../runtime/backend.js';
import { F32_REL } from './tolerances.js';
import { fixtureFloat, loadFixture, peftCases, relError, testBackends } from './helpers.js';

const peft = suite('peft fixtures');
let backends: Backend[] = [];
peft.before(async () => { backends = await testBackends(); });

function configOf(meta: Record<string, string>): AdapterConfig {
  const r = Number(meta.r);
  switch (meta.variant) {
    case 'bone': return { variant: 'bone', r };
    case 'bat': return { variant: 'bat', r };
    case 'mini': return { variant: 'mini', r, miniR: Number(meta.mini_r) };
  }
  throw new Error(`unknown fixture variant ${meta.variant}`);
}

for (const name of peftCases()) {
  peft(`${name}: forward, backward, merge, unmerge`, async () => {
    const f = loadFixture(`peft/${name}.safetensors`);
    const get = (t: string) => fixtureFloat(f, t);
    const meta = f.metadata;
    const [out, inF] = f.tensors.get('W')!.shape;
    const xShape = f.tensors.get('x')!.shape;
    const names = meta.adapter_order.split(',');
    for (const b of backends) {
      const check = async (what: string, t: Parameters<Backend['read']>[0], expected: Float32Array) => {
        const err = relError(await b.read(t), expected);
        assert.ok(err <= F32_REL, `${b.name} ${name} ${what}: rel err ${err.toExponential(2)} > ${F32_REL}`);
      };
      const w = b.tensor([out, inF], get('W'), 'W');
      const bias = meta.bias === 'True' ? b.tensor([out], get('bias'), 'bias') : null;
      const layer = new AdaptedLinear(b, w, bias, name);
      names.forEach((n, i) => b.write(layer.addAdapter(n, configOf(meta)).params.block, get(i ? 'block_2' : 'block')));

      const x = b.tensor(xShape, get('x'), 'x');
      const { y, cache } = layer.forward(x);
      await check('y', y, get('y'));
      const dy = b.tensor(y.shape, get('dy'), 'dy');
      const dx = layer.backward(cache, dy)!;
      await check('dx', dx, get('dx'));
      for (const [i, n] of names.entries()) await check(`d${n}`, layer.get(n).grads.block, get(i ? 'dblock_2' : 'dblock'));
      layer.disposeCache(cache);

      layer.merge();
      await check('merged_W', w, get('merged_W'));
      const merged = layer.forward(x);
      await check('merged_y', merged.y, get('merged_y'));
      await layer.unmerge();
      await check('unmerged_W', w, get('unmerged_W'));
      for (const t of [w, x, y, dy, dx, merged.y]) b.dispose(t);
    }
  });
}

peft.run();
