// estimateFinetune (`osteon finetune --dry-run`): the memory of a fine-tuning job from config.json alone.
// The fixture's figures against the model actually built (trainable parameters, weight bytes), recompute
// keeping less per token, and edge-model configs with no weights at all: a Llama-3.2-1B-shaped BF16 config
// fits the wasm backend (float16 matrices), a 3B one does not and says what to use.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimateFinetune, formatEstimate } from '../runtime/api/estimate.js';
import { loadModel } from '../runtime/model/checkpoint.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { attachAdapter } from '../runtime/peft/adapter.js';
import { newPeftConfig } from '../runtime/peft/config.js';
import { fixturesDir, testBackends } from './helpers.js';

const estimate = suite('estimate');
const dir = join(fixturesDir, 'llama-bone', 'model');

estimate('the fixture: trainable parameters and weight bytes as loaded, recompute keeps less per token', async () => {
  const wasm = (await testBackends()).find((b) => b.name === 'wasm')!;
  const e = await estimateFinetune({ model: nodeFiles(dir), backend: wasm, method: 'bone', r: 8, batch: 2, seq: 16 });
  const { model } = await loadModel(wasm, nodeFiles(dir));
  const adapter = attachAdapter(model, newPeftConfig({ variant: 'bone', r: 8 }, 'all-linear'));
  const trainable = [...adapter.layers.values()].reduce((s, l) => s + Object.values(l.params).reduce((a, t) => a + t.size, 0), 0);
  assert.is(e.trainable, trainable);
  assert.is(e.weightBytes, [...new Set(model.namedWeights().values())].reduce((s, t) => s + 4 * t.size, 0));
  assert.is(e.optimizerBytes, 3 * e.adapterBytes);
  assert.is(e.tokens, 32);
  assert.ok(e.activationBytesPerTokenRecompute < e.activationBytesPerToken);
  assert.ok(e.fits, e.reason ?? '');
  assert.match(formatEstimate(e).join('\n'), /activations: .* per token, .* with --recompute/);
});

/** A folder holding only a config.json: the estimate must not need the weights. */
const configOnly = (config: Record<string, unknown>) => new Map([['config.json', new TextEncoder().encode(JSON.stringify(config))]]);

estimate('edge configs without weights: a 1 B BF16 model fits wasm in float16, a 3 B one is refused naming its size and the options', async () => {
  const wasm = (await testBackends()).find((b) => b.name === 'wasm')!;
  const base = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const llama = { ...base, torch_dtype: 'bfloat16', vocab_size: 128256, num_key_value_heads: 8, tie_word_embeddings: true };
  const oneB = await estimateFinetune({ model: configOnly({ ...llama, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, head_dim: 64 }), backend: wasm, batch: 1 });
  assert.ok(oneB.fits, oneB.reason ?? '');
  assert.ok(oneB.weightBytes < 2.5 * 1024 ** 3 && oneB.weightBytes > 2.2 * 1024 ** 3, `${oneB.weightBytes}`);
  assert.is(oneB.weightStorage, 'float16 matrices, float32 norms');
  const threeB = await estimateFinetune({ model: configOnly({ ...llama, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 28, num_attention_heads: 24, head_dim: 128 }), backend: wasm, batch: 1 });
  assert.not.ok(threeB.fits);
  assert.match(threeB.reason!, /3.21 B weights need 6.0 GiB with float16 matrices.* use the webgpu backend/);
});

estimate.run();
