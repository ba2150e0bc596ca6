// The built-in model: a small LLaMA-architecture checkpoint generated from a fixed seed, as the files a
// Hugging Face model folder holds (config.json + model.safetensors), so that `osteon finetune` with no
// arguments runs the same loading path as a real model. Its weights are random: it exists to show and test
// the pipeline end to end (fine-tuning teaches its adapter the built-in text), not to be a language model.
import { writeSafetensors, type TensorToWrite } from '../safetensors.js';
import { uniform } from '../adapters/random.js';
import { BUILTIN_EOS } from './tokenizer.js';
import type { FileSource } from '../model/files.js';

export const BUILTIN_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 264,
  hidden_size: 96,
  intermediate_size: 256,
  num_hidden_layers: 2,
  num_attention_heads: 6,
  num_key_value_heads: 2,
  head_dim: 16,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  max_position_embeddings: 512,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  attention_bias: false,
  torch_dtype: 'float32',
  bos_token_id: BUILTIN_EOS,
  eos_token_id: BUILTIN_EOS,
};

/** config.json and model.safetensors of the built-in model, by file name. */
export function builtinModelFiles(): Map<string, Uint8Array> {
  const c = BUILTIN_CONFIG;
  const tensors: Record<string, TensorToWrite> = {};
  let seed = 1000;
  // Uniform with the standard deviation 0.02 that LLaMA checkpoints are initialised with.
  const dense = (shape: number[]) => ({ dtype: 'F32' as const, shape, data: uniform(shape[0] * shape[1], -0.0346, 0.0346, seed++) });
  const ones = (n: number) => ({ dtype: 'F32' as const, shape: [n], data: new Float32Array(n).fill(1) });
  const kv = c.num_key_value_heads * c.head_dim, q = c.num_attention_heads * c.head_dim;
  tensors['model.embed_tokens.weight'] = dense([c.vocab_size, c.hidden_size]);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    tensors[`${p}.self_attn.q_proj.weight`] = dense([q, c.hidden_size]);
    tensors[`${p}.self_attn.k_proj.weight`] = dense([kv, c.hidden_size]);
    tensors[`${p}.self_attn.v_proj.weight`] = dense([kv, c.hidden_size]);
    tensors[`${p}.self_attn.o_proj.weight`] = dense([c.hidden_size, q]);
    tensors[`${p}.mlp.gate_proj.weight`] = dense([c.intermediate_size, c.hidden_size]);
    tensors[`${p}.mlp.up_proj.weight`] = dense([c.intermediate_size, c.hidden_size]);
    tensors[`${p}.mlp.down_proj.weight`] = dense([c.hidden_size, c.intermediate_size]);
    tensors[`${p}.input_layernorm.weight`] = ones(c.hidden_size);
    tensors[`${p}.post_attention_layernorm.weight`] = ones(c.hidden_size);
  }
  tensors['model.norm.weight'] = ones(c.hidden_size);
  return new Map([
    ['config.json', new TextEncoder().encode(JSON.stringify(BUILTIN_CONFIG, null, 2))],
    ['model.safetensors', writeSafetensors(tensors, { format: 'pt' })],
  ]);
}

/** The built-in model as a file source for the ordinary loader (runtime/model/checkpoint.ts). */
export function builtinModelSource(): FileSource {
  const files = builtinModelFiles();
  return {
    name: 'built-in model',
    async exists(path) { return files.has(path); },
    async read(path, range) {
      const bytes = files.get(path);
      if (!bytes) throw new Error(`[files] the built-in model has no file "${path}"`);
      return range ? bytes.subarray(range.start, range.end) : bytes;
    },
  };
}
