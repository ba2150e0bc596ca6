// The built-in model's recipe: its architecture, its tokenizer and how it is pretrained. One seeded recipe,
// so `npm run pretrain-builtin` rebuilds the shipped folder (builtin/) from the npm corpora alone.
// Size: 4 layers of width 256 and a 4096-token vocabulary, about 4.2 M parameters (8.4 MB in float16): small
// enough to ship in the package and to pretrain in about an hour on two CPU cores, large enough
// to write recognisable English. The context is the 256 tokens it is trained on.
import type { Document } from './corpus.js';
import type { Tokenizer } from '../runtime/tokenizer/index.js';

export const EOS_TOKEN = '<|endoftext|>';

export const TOKENIZER = { vocabSize: 4096, specialTokens: [EOS_TOKEN], minFrequency: 2 };

export const MODEL_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: TOKENIZER.vocabSize,
  hidden_size: 256,
  intermediate_size: 704,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 32,
  hidden_act: 'silu',
  max_position_embeddings: 256,
  initializer_range: 0.02,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  tie_word_embeddings: true,
  attention_bias: false,
  mlp_bias: false,
  bos_token_id: 0,
  eos_token_id: 0,
  torch_dtype: 'float32',
};

export const PRETRAIN = {
  seed: 42,
  steps: 1500,
  batch: 16,
  seq: 256,
  lr: 2e-3,
  warmup: 100,
  weightDecay: 0.1,
  maxGradNorm: 1,
  evalEvery: 250,
  checkpointEvery: 100,
};

/** Held out from pretraining (and from the tokenizer): every 25th document, kept for perplexity and for
 *  measuring what fine-tuning forgets. */
export function isHeldOut(index: number): boolean {
  return index % 25 === 12;
}

export function splitCorpus(docs: Document[]): { train: Document[]; held: Document[] } {
  return { train: docs.filter((_, i) => !isHeldOut(i)), held: docs.filter((_, i) => isHeldOut(i)) };
}

/** Every document as one row of token ids ending in the end-of-text token (packed into rows for training). */
export function documentRows(tok: Tokenizer, docs: Document[], eos: number): { input_ids: number[] }[] {
  return docs.map((d) => ({ input_ids: [...tok.encode(d.text, { addSpecialTokens: false }), eos] }));
}

/** Documents cut into rows of at most the context, for evaluation. */
export function heldOutRows(tok: Tokenizer, docs: Document[], eos: number): { input_ids: number[] }[] {
  return documentRows(tok, docs, eos).flatMap(({ input_ids }) =>
    Array.from({ length: Math.ceil(input_ids.length / PRETRAIN.seq) }, (_, i) => ({ input_ids: input_ids.slice(i * PRETRAIN.seq, (i + 1) * PRETRAIN.seq) }))
      .filter((r) => r.input_ids.length >= 2));
}
