// Every PEFT fixture case (tests/fixtures/peft, PEFT's own MissLinear outputs) on every backend:
// forward, input and block gradients, merge, merged forward, unmerge. The case runner is the one
// `osteon doctor` uses, so this also checks what users run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend } from '../runtime/backend.js';
import { runFixtureCase } from '../runtime/doctor/fixture-case.js';
import { F32_REL } from './tolerances.js';
import { loadFixture, peftCases, testBackends } from './helpers.js';

const EXPECTED = ['y', 'dx', 'dblock', 'dblock_2', 'merged_W', 'merged_y', 'unmerged_W'];

const peft = suite('peft fixtures');
let backends: Backend[] = [];
peft.before(async () => { backends = await testBackends(); });

for (const name of peftCases()) {
  peft(`${name}: forward, backward, merge, unmerge`, async () => {
    const file = loadFixture(`peft/${name}.safetensors`);
    const expected = EXPECTED.filter((t) => file.tensors.has(t));
    for (const b of backends) {
      const results = await runFixtureCase(b, name, file);
      assert.equal(results.map((r) => r.tensor), expected, `${b.name} ${name}: every expected tensor is checked`);
      for (const r of results) {
        assert.ok(r.max_rel_err <= F32_REL, `${b.name} ${name} ${r.tensor}: rel err ${r.max_rel_err.toExponential(2)} > ${F32_REL}`);
      }
    }
  });
}

peft.run();
