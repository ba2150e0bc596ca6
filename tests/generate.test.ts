// Generation with a key/value cache: every cached step gives the logits the full forward pass gives at that
// position; greedy decoding is deterministic; seeded sampling repeats; stop tokens end generation.
import type { Backend } from '../runtime/backend.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../runtime/model/checkpoint.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { loadAdapter } from '../runtime/peft/adapter.js';
import { KVCache } from '../runtime/generate/kv-cache.js';
import { generate } from '../runtime/generate/generate.js';
import { argmax, rng, sample } from '../runtime/generate/sampling.js';
import { MODEL_REL } from './tolerances.js';
import { fixturesDir, relError, testBackends } from './helpers.js';

const gen = suite('generate');
let backends: Backend[] = [];
gen.before(async () => {
  backends = await testBackends();
  assert.ok(backends.length > 0);
});

async function fixtureModel(b: Backend, name: string) {
  const { model } = await loadModel(b, nodeFiles(join(fixturesDir, name, 'model')));
  await loadAdapter(model, nodeFiles(join(fixturesDir, name, 'adapter')));
  return model;
}

const IDS = Int32Array.from([1, 17, 45, 200, 3, 99, 250, 7, 64, 12]);

gen('cached decoding reproduces the full forward pass, position by position', async () => {
  for (const b of backends) {
    for (const name of ['llama-bone', 'llama-bat']) {
      const model = await fixtureModel(b, name);
      const vocab = model.config.vocabSize;
      const full = await b.read(model.forward(IDS, 1).logits);
      const kv = new KVCache(b, model.config, 1, IDS.length);
      // A prompt of 4 tokens in one pass, then one token at a time.
      const first = await b.read(model.forward(IDS.subarray(0, 4), 1, kv).logits);
      assert.ok(relError(first, full.subarray(0, 4 * vocab)) <= MODEL_REL, `${b.name} ${name}: prefill`);
      for (let t = 4; t < IDS.length; t++) {
        const step = await b.read(model.forward(IDS.subarray(t, t + 1), 1, kv).logits);
        const err = relError(step, full.subarray(t * vocab, (t + 1) * vocab));
        assert.ok(err <= MODEL_REL, `${b.name} ${name}: cached step at position ${t}: rel err ${err}`);
      }
      assert.is(kv.length, IDS.length);
      assert.throws(() => model.forward(IDS.subarray(0, 1), 1, kv), /exceed the cache capacity/);
      kv.dispose();
    }
  }
});

gen('greedy generation is deterministic and equals argmax of the full forward', async () => {
  for (const b of backends) {
    const model = await fixtureModel(b, 'llama-bone');
    const prompt = IDS.subarray(0, 3);
    const streamed: number[] = [];
    const out = await generate(model, prompt, { maxNewTokens: 6, onToken: (id) => streamed.push(id) });
    assert.equal(streamed, out);
    assert.is(out.length, 6);
    // Check the first two tokens against the uncached model.
    let ids = Array.from(prompt);
    for (let i = 0; i < 2; i++) {
      const logits = await b.read(model.forward(Int32Array.from(ids), 1).logits);
      const next = argmax(logits.subarray(logits.length - model.config.vocabSize));
      assert.is(out[i], next);
      ids = [...ids, next];
    }
    assert.equal(await generate(model, prompt, { maxNewTokens: 6 }), out);
    const stopAt = await generate(model, prompt, { maxNewTokens: 6, stop: [out[2]] });
    assert.equal(stopAt, out.slice(0, out.indexOf(out[2])));
  }
});

gen('sampling: seeded, top-k 1 is greedy, top-p keeps the nucleus', () => {
  const logits = Float32Array.from([1, 3, 2, -1, 2.9]);
  assert.is(sample(logits, { temperature: 0 }, rng(1)), 1);
  assert.is(sample(logits, { temperature: 1, topK: 1 }, rng(1)), 1);
  const draw = (seed: number, o = {}) => Array.from({ length: 50 }, ((r) => () => sample(logits, { temperature: 1, ...o }, r))(rng(seed)));
  assert.equal(draw(7), draw(7));
  const seen = new Set(draw(3, { topP: 0.5 }));
  assert.ok([...seen].every((id) => id === 1 || id === 4), `top_p=0.5 drew outside the two most likely: ${[...seen]}`);
  assert.ok(new Set(draw(3)).size >= 3, 'plain sampling at temperature 1 reaches beyond the top two');
  assert.throws(() => sample(logits, { temperature: -1 }, rng(1)), /temperature=-1/);
});

gen.run();
