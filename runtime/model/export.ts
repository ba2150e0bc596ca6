// Writing a model back as a Hugging Face folder: config.json (its torch_dtype set to what is written) and
// model.safetensors (float32, or float16 for a compact copy), e.g. after merging an adapter, so that
// transformers or osteon load it with no adapter at all.
import { toFloat16, writeSafetensors, type TensorToWrite } from '../safetensors.js';
import type { LlamaModel } from './llama.js';

/** File name -> bytes of the model folder. */
export async function exportModel(model: LlamaModel, dtype: 'F32' | 'F16' = 'F32'): Promise<Record<string, Uint8Array>> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of model.namedWeights()) {
    const values = await model.backend.read(t);
    tensors[name] = { dtype, shape: [...t.shape], data: dtype === 'F32' ? values : Uint16Array.from(values, toFloat16) };
  }
  const config = { ...model.config.raw, torch_dtype: dtype === 'F32' ? 'float32' : 'float16' };
  return {
    'config.json': new TextEncoder().encode(JSON.stringify(config, null, 2)),
    'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
  };
}
