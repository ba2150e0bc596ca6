// A new model's weights, for pretraining from scratch: every matrix drawn from N(0, initializer_range^2)
// (0.02 unless config.json says otherwise), every RMSNorm weight 1 and every bias 0, as transformers
// initialises a LlamaForCausalLM. Seeded, so a pretraining run starts from the same weights every time.
import { normal } from '../adapters/random.js';
import { type TensorToWrite, writeSafetensors } from '../safetensors.js';
import type { ModelConfig } from './config.js';
import { weightShapes } from './llama.js';

/** model.safetensors of a freshly initialised model of this configuration (float32). */
export function initialWeights(config: ModelConfig, seed: number): Uint8Array {
  const std = typeof config.raw.initializer_range === 'number' ? config.raw.initializer_range : 0.02;
  const tensors: Record<string, TensorToWrite> = {};
  let stream = seed;
  for (const [name, shape] of weightShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = shape.length === 2 ? normal(size, 0, std, stream++) : new Float32Array(size).fill(name.endsWith('norm.weight') ? 1 : 0);
    tensors[name] = { dtype: 'F32', shape, data };
  }
  return writeSafetensors(tensors, { format: 'pt' });
}
