// Full fine-tuning (LlamaModel.trainAll): the gradient of every base weight of a whole tiny model (embedding,
// tied or untied LM head, norms, projections and qwen2's biases), checked against central differences of
// the loss along a random direction per tensor on the reference (two steps combined by Richardson
// extrapolation, which cancels the h^2 error of a model that is far from affine in its embedding), then every fast backend against the
// reference; a few AdamW steps lower the loss, and a checkpoint of a full run restores only into a full run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend, Tensor } from '../runtime/backend.js';
import { parseModelConfig } from '../runtime/model/config.js';
import { LlamaModel, weightShapes } from '../runtime/model/llama.js';
import { DEFAULT_TRAIN, Trainer, fullTrainables } from '../runtime/train/trainer.js';
import { checkpointBytes, restoreCheckpoint } from '../runtime/train/checkpoint.js';
import { attachAdapter } from '../runtime/peft/adapter.js';
import { newPeftConfig } from '../runtime/peft/config.js';
import { FULL_FD_FLOOR, FULL_FD_REL, MODEL_REL } from './tolerances.js';
import { randomArray, relError, testBackends } from './helpers.js';

const full = suite('full fine-tuning');
const H = 2e-2;
const BATCH = 2, SEQ = 5;
const ids = Int32Array.from({ length: BATCH * SEQ }, (_, i) => (i * 7 + 3) % 11);

const cases: [string, Record<string, unknown>][] = [
  ['llama, tied embeddings', { model_type: 'llama', tie_word_embeddings: true }],
  ['qwen2, untied head and qkv biases', { model_type: 'qwen2', tie_word_embeddings: false }],
];

function tinyModel(b: Backend, extra: Record<string, unknown>): LlamaModel {
  const config = parseModelConfig({
    vocab_size: 11, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2,
    num_key_value_heads: 1, ...extra,
  });
  let seed = 100;
  const weights = new Map<string, Tensor>();
  for (const [name, shape] of weightShapes(config)) {
    const size = shape.reduce((x, y) => x * y, 1);
    const values = randomArray(size, seed++).map((v) => (shape.length === 1 && name.includes('norm') ? 1 + 0.2 * v : 0.4 * v));
    weights.set(name, b.tensor(shape, values, name));
  }
  return new LlamaModel(b, config, weights);
}

/** Every trained tensor's gradient after one forward and backward, by key. */
async function gradients(m: LlamaModel): Promise<Map<string, Float32Array>> {
  const trained = fullTrainables(m).params;
  await m.forwardLoss(ids, ids, BATCH, true);
  const out = new Map<string, Float32Array>();
  for (const t of trained) out.set(t.key, await m.backend.read(t.grad));
  return out;
}

for (const [name, extra] of cases) {
  full(`${name}: every weight's gradient matches a central difference (reference)`, async () => {
    const b = (await testBackends())[0];
    const m = tinyModel(b, extra);
    const grads = await gradients(m);
    assert.is(grads.size, m.namedWeights().size, 'one gradient per weight');
    for (const [key, param] of m.namedWeights()) {
      const base = await b.read(param);
      const u = randomArray(param.size, key.length);
      const lossAt = async (step: number) => {
        b.write(param, base.map((v, i) => v + step * u[i]));
        return m.forwardLoss(ids, ids, BATCH);
      };
      const central = async (h: number) => ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
      const numeric = (4 * (await central(H / 2)) - (await central(H))) / 3;
      b.write(param, base);
      const analytic = grads.get(key)!.reduce((s, g, i) => s + g * u[i], 0);
      const err = Math.abs(numeric - analytic) / Math.max(Math.abs(analytic), FULL_FD_FLOOR);
      assert.ok(err <= FULL_FD_REL, `${key}: directional derivative ${analytic.toExponential(4)}, central difference ${numeric.toExponential(4)} (rel ${err.toExponential(2)})`);
    }
    m.dispose();
  });

  full(`${name}: every backend's weight gradients equal the reference's`, async () => {
    const [ref, ...fast] = await testBackends();
    const m = tinyModel(ref, extra);
    const want = await gradients(m);
    m.dispose();
    for (const b of fast) {
      const mb = tinyModel(b, extra);
      const got = await gradients(mb);
      for (const [key, g] of want) {
        const err = relError(got.get(key)!, g);
        assert.ok(err <= MODEL_REL, `${b.name} ${key}: rel err ${err.toExponential(2)} > ${MODEL_REL}`);
      }
      mb.dispose();
    }
  });
}

full('a few AdamW steps of full fine-tuning lower the loss on every backend; a full checkpoint restores only into a full run', async () => {
  for (const b of await testBackends()) {
    const m = tinyModel(b, { model_type: 'llama', tie_word_embeddings: true });
    const rows = [{ ids, labels: ids }];
    const config = { ...DEFAULT_TRAIN, steps: 8, batchSize: 1, lr: 3e-2, warmup: 0, weightDecay: 0.1 };
    const trainer = new Trainer(b, m, fullTrainables(m), rows, config);
    for (let i = 0; i < config.steps; i++) await trainer.trainStep();
    const losses = trainer.history.map((h) => h.loss);
    assert.ok(losses[losses.length - 1] < 0.7 * losses[0], `${b.name}: loss ${losses[0]} -> ${losses[losses.length - 1]}`);
    const saved = await checkpointBytes(trainer);
    const trainedLoss = await m.forwardLoss(ids, ids, BATCH);
    trainer.dispose();
    m.dispose();

    const again = tinyModel(b, { model_type: 'llama', tie_word_embeddings: true });
    const resumed = new Trainer(b, again, fullTrainables(again), rows, config);
    restoreCheckpoint(resumed, saved, 'full.ckpt');
    assert.is(resumed.step, config.steps);
    assert.is(await again.forwardLoss(ids, ids, BATCH), trainedLoss, `${b.name}: the restored weights give the trained loss`);
    resumed.dispose();
    const adapted = new Trainer(b, again, attachAdapter(again, newPeftConfig({ variant: 'bone', r: 4 }, 'all-linear')), rows, config);
    assert.throws(() => restoreCheckpoint(adapted, saved, 'full.ckpt'), /different adapter configuration \(or full fine-tuning\)/);
    adapted.dispose();
    again.dispose();
  }
});

full.run();
