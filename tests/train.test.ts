// Training end to end on every backend: a few AdamW steps of the Trainer
// (runtime/train/trainer.ts) on the tiny LLaMA fixture with its Bone adapter, with gradient accumulation,
// clipping and weight decay. Every backend must report the reference's losses and gradient norms step by
// step (MODEL_REL: whole-model float32 results), and the loss must go down. The data is two fixed rows, one
// per micro-batch, so every step sees the same two rows and the losses are comparable from step to step.
import type { Backend } from '../runtime/backend.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../runtime/model/checkpoint.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { loadAdapter } from '../runtime/peft/adapter.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import type { Example } from '../runtime/train/data.js';
import { DEFAULT_TRAIN, type StepLog, Trainer } from '../runtime/train/trainer.js';
import { MODEL_REL } from './tolerances.js';
import { F32_WEIGHTS, fastBackends, fixturesDir } from './helpers.js';

const train = suite('train');
const STEPS = 4;

/** Two rows of 12 token ids of the fixture's 300-token vocabulary, labels = ids. */
const rows: Example[] = [0, 1].map((r) => {
  const ids = Int32Array.from({ length: 12 }, (_, i) => (37 * i + 101 * r + 5) % 300);
  return { ids, labels: ids.slice() };
});

async function history(backend: Backend): Promise<StepLog[]> {
  const dir = join(fixturesDir, 'llama-bone');
  const { model } = await loadModel(backend, nodeFiles(join(dir, 'model')), F32_WEIGHTS);
  const adapter = await loadAdapter(model, nodeFiles(join(dir, 'adapter')));
  const trainer = new Trainer(backend, model, adapter, rows, {
    ...DEFAULT_TRAIN, steps: STEPS, batchSize: 1, gradAccum: 2, lr: 1e-2, schedule: 'constant', warmup: 0,
    weightDecay: 0.01, maxGradNorm: 1,
  });
  try {
    for (let i = 0; i < STEPS; i++) await trainer.trainStep();
    return trainer.history;
  } finally {
    trainer.dispose();
  }
}

train('AdamW steps of the Bone fixture: same losses and gradient norms as the reference, loss goes down', async () => {
  const expected = await history(new ReferenceBackend());
  assert.ok(expected[STEPS - 1].loss < expected[0].loss, `reference loss did not go down: ${expected.map((s) => s.loss)}`);
  let tested = 0;
  for (const b of await fastBackends()) {
    const got = await history(b);
    for (let i = 0; i < STEPS; i++) {
      for (const key of ['loss', 'gradNorm'] as const) {
        const err = Math.abs(got[i][key] - expected[i][key]) / Math.abs(expected[i][key]);
        assert.ok(err <= MODEL_REL, `${b.name} step ${i + 1} ${key}: ${got[i][key]} vs reference ${expected[i][key]} (rel err ${err.toExponential(2)})`);
      }
    }
    tested++;
  }
  if (!tested) console.warn('skipped: no fast backend (train test ran on the reference only)');
  if (process.env.OSTEON_REQUIRE_WEBGPU === '1') assert.ok(tested > 0, 'OSTEON_REQUIRE_WEBGPU=1 but webgpu did not train');
});

train.run();
