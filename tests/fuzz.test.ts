// The fuzz suite in its bounded form: a fixed number of generated corrupt inputs per parser, from a fixed
// seed (tests/fuzz-cases.ts), each ending in a typed error naming its component and file or in a correct
// result. `npm run fuzz -- --seconds N` runs the same targets for longer.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TARGETS, baselineFailures, runCase } from './fuzz-cases.js';

const fuzz = suite('fuzz');
const SEED = 10;
const CASES = 250; // per target: the whole suite takes about two seconds

fuzz('the valid files every target mutates load correctly', async () => {
  assert.equal(await baselineFailures(), []);
});

for (const target of TARGETS) {
  fuzz(`${target.name}: ${CASES} generated cases, each a typed error or a correct result`, async () => {
    const failures: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const why = await runCase(target, SEED, i);
      if (why) failures.push(`case ${i} (seed ${SEED}): ${why}`);
    }
    assert.equal(failures.slice(0, 5), [], `${failures.length} of ${CASES} cases failed`);
  });
}

fuzz.run();
