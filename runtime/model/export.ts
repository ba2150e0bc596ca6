// Writing a model back as a Hugging Face folder: config.json (unchanged) and model.safetensors (float32),
// e.g. after merging an adapter, so that transformers or osteon load it with no adapter at all.
import { writeSafetensors, type TensorToWrite } from '../safetensors.js';
import type { LlamaModel } from './llama.js';

/** File name -> bytes of the model folder. */
export async function exportModel(model: LlamaModel): Promise<Record<string, Uint8Array>> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of model.namedWeights()) {
    tensors[name] = { dtype: 'F32', shape: [...t.shape], data: await model.backend.read(t) };
  }
  const config = { ...model.config.raw, torch_dtype: 'float32' };
  return {
    'config.json': new TextEncoder().encode(JSON.stringify(config, null, 2)),
    'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
  };
}
