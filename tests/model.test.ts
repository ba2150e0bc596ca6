// The whole tiny LLaMA models of tests/fixtures/llama-bone and llama-bat (transformers + PEFT outputs):
// base logits and loss with the adapter disabled, adapted logits and loss, every adapter block's gradient,
// the same loss and gradients through the chunked LM head (forwardLoss), and the merged model's forward;
// plus config.json parsing and its errors.
// Runs on every test backend (tests/helpers.ts testBackends).
import type { Backend } from '../runtime/backend.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../runtime/model/checkpoint.js';
import { parseModelConfig } from '../runtime/model/config.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { loadAdapter, peftKey } from '../runtime/peft/adapter.js';
import { toInt32 } from '../runtime/safetensors.js';
import { MODEL_REL } from './tolerances.js';
import { F32_WEIGHTS, fixtureFloat, fixturesDir, loadFixture, relError, testBackends } from './helpers.js';

const model = suite('llama model');


export async function loadFixtureModel(backend: Backend, name: string) {
  const { model: m } = await loadModel(backend, nodeFiles(join(fixturesDir, name, 'model')), F32_WEIGHTS);
  const adapter = await loadAdapter(m, nodeFiles(join(fixturesDir, name, 'adapter')));
  const ref = loadFixture(`${name}/reference.safetensors`);
  const ids = toInt32(ref.tensors.get('input_ids')!);
  const labels = toInt32(ref.tensors.get('labels')!);
  const batch = ref.tensors.get('input_ids')!.shape[0];
  return { model: m, adapter, ref, ids, labels, batch };
}

function within(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = MODEL_REL) {
  const err = relError(actual, expected);
  assert.ok(err <= tol, `${what}: rel err ${err.toExponential(2)} > ${tol}`);
}

const names = (await testBackends()).map((b) => b.name);
for (const name of ['llama-bone', 'llama-bat']) for (const backendName of names) {
  const backend = async () => (await testBackends()).find((b) => b.name === backendName)!;

  model(`${name} on ${backendName}: base logits and loss with the adapter disabled`, async () => {
    const b = await backend();
    const f = await loadFixtureModel(b, name);
    f.model.setAdaptersEnabled(false);
    const { logits } = f.model.forward(f.ids, f.batch);
    within('base logits', await b.read(logits), fixtureFloat(f.ref, 'base_logits'));
    within('base loss', [await f.model.forwardLoss(f.ids, f.labels, f.batch)], fixtureFloat(f.ref, 'base_loss'));
  });

  model(`${name} on ${backendName}: adapted logits, loss and every adapter block gradient`, async () => {
    const b = await backend();
    const f = await loadFixtureModel(b, name);
    const { logits } = f.model.forward(f.ids, f.batch);
    within('logits', await b.read(logits), fixtureFloat(f.ref, 'logits'));
    within('loss', [await f.model.forwardLoss(f.ids, f.labels, f.batch, true)], fixtureFloat(f.ref, 'loss'));
    const gradKeys = [...f.ref.tensors.keys()].filter((k) => k.endsWith('.grad'));
    assert.is(f.adapter.layers.size, gradKeys.length, 'one adapted layer per reference gradient');
    for (const [path, layer] of f.adapter.layers) {
      within(`${path} grad`, await b.read(layer.grads.block), fixtureFloat(f.ref, `${peftKey(path, 'block')}.grad`));
    }
  });

  // 24 tokens; targets 11, 12, 13 and 23 are not scored, so with 2 tokens per chunk the chunk of rows 12-13
  // has nothing to score and is skipped, and with 5 the last chunk is short. A bound below one row still
  // takes one token per chunk; the default bound takes all 24 at once.
  for (const rows of [2, 5, 0, null]) {
    model(`${name} on ${backendName}: chunked LM head and loss, ${rows ?? 'all'} tokens per chunk: loss and every adapter gradient`, async () => {
      const b = await backend();
      const f = await loadFixtureModel(b, name);
      if (rows !== null) f.model.lossChunkBytes = rows * 4 * f.model.config.vocabSize + 3;
      within('chunked loss', [await f.model.forwardLoss(f.ids, f.labels, f.batch, true)], fixtureFloat(f.ref, 'loss'));
      for (const [path, layer] of f.adapter.layers) {
        within(`${path} grad (chunked)`, await b.read(layer.grads.block), fixtureFloat(f.ref, `${peftKey(path, 'block')}.grad`));
      }
      within('chunked loss without gradients', [await f.model.forwardLoss(f.ids, f.labels, f.batch)], fixtureFloat(f.ref, 'loss'));
      f.model.setAdaptersEnabled(false);
      within('chunked base loss', [await f.model.forwardLoss(f.ids, f.labels, f.batch)], fixtureFloat(f.ref, 'base_loss'));
    });
  }

  model(`${name} on ${backendName}: merging every adapter reproduces the adapted logits`, async () => {
    const b = await backend();
    const f = await loadFixtureModel(b, name);
    f.model.merge();
    const { logits } = f.model.forward(f.ids, f.batch);
    within('merged logits', await b.read(logits), fixtureFloat(f.ref, 'logits'));
    await f.model.unmerge();
    f.model.setAdaptersEnabled(false);
    const base = f.model.forward(f.ids, f.batch);
    within('unmerged base logits', await b.read(base.logits), fixtureFloat(f.ref, 'base_logits'));
  });
}

const llama = { model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 };

model('config: unknown model_type and unsupported rope scaling are rejected by name', () => {
  assert.throws(() => parseModelConfig({ ...llama, model_type: 'gpt2' }), /\[config\] unsupported: model_type="gpt2"/);
  assert.throws(() => parseModelConfig({ ...llama, rope_scaling: { type: 'yarn', factor: 4 } }), /\[config\] unsupported: rope_scaling.rope_type="yarn"/);
  assert.throws(() => parseModelConfig({ ...llama, rope_scaling: { rope_type: 'dynamic', factor: 2 } }), /unsupported: rope_scaling.rope_type="dynamic"/);
  assert.throws(() => parseModelConfig({ ...llama, hidden_act: 'gelu' }), /unsupported: hidden_act="gelu"/);
});

model('config: defaults, qwen2 biases, mistral window, linear and llama3 rope scaling', () => {
  const c = parseModelConfig(llama);
  assert.equal([c.headDim, c.kvHeads, c.tieEmbeddings], [4, 2, false]);
  assert.equal(Array.from(c.invFreq), [1, 1 / 100].map(Math.fround)); // theta 10000, E = 4: 10000^(-0/4), 10000^(-2/4)
  assert.equal(parseModelConfig({ ...llama, model_type: 'qwen2' }).bias, { qkv: true, o: false, mlp: false });
  assert.equal(parseModelConfig({ ...llama, model_type: 'mistral', sliding_window: 3 }).windows, [3]);
  assert.equal(parseModelConfig({ ...llama, model_type: 'mistral', sliding_window: null }).windows, [null]);
  const linear = parseModelConfig({ ...llama, rope_scaling: { type: 'linear', factor: 4 } });
  assert.equal(Array.from(linear.invFreq), [1 / 4, 1 / 400].map(Math.fround));
  // llama3 with original context 64: wavelength 2 pi (i = 0) is below 64 / high and kept; 200 pi (i = 1) is
  // above 64 / low and divided by the factor, or, with low = 0.05, inside the band and interpolated.
  const l3 = (low: number) => parseModelConfig({ ...llama, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: low, high_freq_factor: 4, original_max_position_embeddings: 64 } }).invFreq;
  assert.equal(Array.from(l3(1)), [1, 1 / 800].map(Math.fround));
  const smooth = (64 / (200 * Math.PI) - 0.05) / (4 - 0.05);
  assert.equal(Array.from(l3(0.05)), [1, (1 - smooth) * (0.01 / 8) + smooth * 0.01].map(Math.fround));
});

model.run();
