// The tests' own small model and data, independent of the built-in model the library ships: a 2-layer
// LLaMA-architecture checkpoint with random weights from fixed seeds (vocabulary 264, hidden size 96), with a
// byte-level tokenizer, as the files of a Hugging Face model folder in memory, and short question-and-answer
// rows to train it on. Small enough that a fine-tuning run takes seconds, even on a software GPU in a browser.
// Tests pass it explicitly (`model: tinyModelFiles(), data: TINY_ROWS, ...TINY_TRAIN`), or write it to disk
// for the CLI and the web page (writeTinyModel, writeTinyData).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../runtime/safetensors.js';
import { uniform } from '../runtime/adapters/random.js';

/** `<|endoftext|>`: the token after the 256 bytes. */
export const TINY_EOS = 256;

export const TINY_CONFIG = {
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
  bos_token_id: TINY_EOS,
  eos_token_id: TINY_EOS,
};

/** Options that suit the tiny model (its hidden size 96 takes r=16) and teach it TINY_ROWS within a few
 *  steps: pass them with the model, as the library's defaults are made for larger models. */
export const TINY_TRAIN = { r: 16, seq: 64, lr: 3e-3 } as const;

/** Byte b as the printable character GPT-2's byte-level scheme assigns it (printable Latin-1 bytes stand for
 *  themselves, the rest are shifted above U+0100). */
function byteChars(): string[] {
  const chars: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars.push(String.fromCharCode(printable ? b : 256 + shifted++));
  }
  return chars;
}

/** The byte-level tokenizer (one token per byte, ids 0..255, plus `<|endoftext|>`) as tokenizer.json. */
export function tinyTokenizerJson(): object {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, b) => { vocab[c] = b; });
  vocab['<|endoftext|>'] = TINY_EOS;
  return {
    version: '1.0',
    added_tokens: [{ id: TINY_EOS, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2));

/** The tiny model's folder by file name: config.json, model.safetensors, tokenizer.json and
 *  generation_config.json. A new Map each call, so a test may change its copy. */
export function tinyModelFiles(): Map<string, Uint8Array> {
  const c = TINY_CONFIG;
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
    ['config.json', json(c)],
    ['model.safetensors', writeSafetensors(tensors, { format: 'pt' })],
    ['tokenizer.json', json(tinyTokenizerJson())],
    ['generation_config.json', json({ bos_token_id: TINY_EOS, eos_token_id: TINY_EOS })],
  ]);
}

/** A new temporary folder that every user may read (a command run as another user reads it too). */
function readableTemp(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `osteon-${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/** The tiny model written as a folder (a new temporary one unless `dir` is given); returns the folder. */
export function writeTinyModel(dir = readableTemp('tiny-model')): string {
  for (const [name, bytes] of tinyModelFiles()) writeFileSync(join(dir, name), bytes);
  return dir;
}

/** TINY_ROWS as a JSONL file, tiny.jsonl (in a new temporary folder unless `dir` is given); returns its path. */
export function writeTinyData(dir = readableTemp('tiny-data')): string {
  const path = join(dir, 'tiny.jsonl');
  writeFileSync(path, TINY_ROWS.map((row) => `${JSON.stringify(row)}\n`).join(''));
  return path;
}

let onDisk: { model: string; data: string } | null = null;

/** The tiny model folder and its data file on disk, written once per test process: for the CLI. */
export function tinyOnDisk(): { model: string; data: string } {
  return (onDisk ??= { model: writeTinyModel(), data: writeTinyData() });
}

// Short question-and-answer pairs about the adapters osteon trains, as prompt/completion rows (the prompt is
// masked out of the loss).
export const TINY_ROWS: { prompt: string; completion: string }[] = [
  { prompt: 'Q: What is Bone?\nA:', completion: ' A block-affine adapter: a small trained block added to every chunk of a frozen weight.' },
  { prompt: 'Q: What does Bone store per layer?\nA:', completion: ' One block of r rows by out columns, starting at zero.' },
  { prompt: 'Q: How does Bone read its input?\nA:', completion: ' It sums the input in chunks of width r and multiplies the sum by the block.' },
  { prompt: 'Q: What must Bone keep for the backward pass?\nA:', completion: ' Only the chunk sum, r numbers per token, not the whole input.' },
  { prompt: 'Q: What is Bat?\nA:', completion: ' The weight guided form: every r by r block of the weight is multiplied by one plus a trained block.' },
  { prompt: 'Q: Which blocks does Bat share?\nA:', completion: ' One trained block per output block, shared by every input block.' },
  { prompt: 'Q: What does Bat need from the shapes?\nA:', completion: ' Both in and out features must divide into whole r by r blocks.' },
  { prompt: 'Q: What is mini?\nA:', completion: ' Bone with a narrow block of mini_r columns repeated along the output.' },
  { prompt: 'Q: What is LoRA?\nA:', completion: ' Two low-rank matrices whose product is added to the frozen weight, scaled by alpha over r.' },
  { prompt: 'Q: How do Bone and LoRA compare?\nA:', completion: ' At equal parameters Bone keeps fewer activations and often learns as well or better.' },
  { prompt: 'Q: What does merging do?\nA:', completion: ' It adds the adapter into the base weight so inference costs nothing extra.' },
  { prompt: 'Q: Can a Bat merge be undone?\nA:', completion: ' Yes, by inverting one plus each block, unless a block is singular.' },
  { prompt: 'Q: In which order do Bat adapters unmerge?\nA:', completion: ' Last in, first out, because each one acts on the weight the previous one made.' },
  { prompt: 'Q: Where does osteon run?\nA:', completion: ' On WebGPU in Node and in browsers, and on WebAssembly everywhere else.' },
  { prompt: 'Q: What file does PEFT read?\nA:', completion: ' An adapter_config.json and an adapter_model.safetensors with miss_block tensors.' },
  { prompt: 'Q: Which layers does an adapter change?\nA:', completion: ' Only the target modules; every other weight stays frozen.' },
  { prompt: 'Q: What starts at zero?\nA:', completion: ' Every Bone, Bat and mini block, so training begins exactly at the base model.' },
  { prompt: 'Q: What does the optimizer do?\nA:', completion: ' AdamW moves each block against its gradient, with warmup and a cosine decay.' },
  { prompt: 'Q: Why clip gradients?\nA:', completion: ' So that one bad batch cannot throw the adapter far from where it was.' },
  { prompt: 'Q: What is a checkpoint?\nA:', completion: ' The blocks, the optimizer moments and the data position, written atomically.' },
  { prompt: 'Q: What does the doctor check?\nA:', completion: ' That every backend computes the same numbers as PEFT on golden cases.' },
  { prompt: 'Q: How many tokens per step?\nA:', completion: ' Batch size times sequence length, times the accumulation steps.' },
  { prompt: 'Q: What is held out?\nA:', completion: ' A few examples never trained on, to measure loss on unseen text.' },
  { prompt: 'Q: What is perplexity?\nA:', completion: ' The exponential of the mean loss: how many tokens the model hesitates between.' },
];
