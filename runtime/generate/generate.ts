// Text generation: the prompt in one cached forward pass, then one token at a time, each attending to
// the key/value cache; greedy or sampled (runtime/generate/sampling.ts); stops at a stop token or the token
// limit; every token is yielded (or handed to `onToken`) as soon as it is chosen (streaming).
import { OsteonError } from '../errors.js';
import type { LlamaModel } from '../model/llama.js';
import { KVCache } from './kv-cache.js';
import { type SamplingOptions, rng, sample } from './sampling.js';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens?: number;
  /** Token ids that end generation (not included in the result). */
  stop?: number[];
  onToken?: (id: number) => void;
}

/** The generated ids (without the prompt), one at a time as each is chosen. Stopping the iteration early
 *  (a `break` in for-await) frees the key/value cache. */
export async function* tokenStream(model: LlamaModel, prompt: Int32Array, o: GenerateOptions = {}): AsyncGenerator<number> {
  const backend = model.backend;
  const maxNew = o.maxNewTokens ?? 64;
  if (prompt.length === 0) throw new OsteonError('generate', 'the prompt is empty (a model needs at least one token to continue)');
  const capacity = Math.min(prompt.length + maxNew, model.config.maxPositions);
  if (prompt.length >= capacity) {
    throw new OsteonError('generate', `the prompt has ${prompt.length} tokens; the model's context (max_position_embeddings) is ` +
      `${model.config.maxPositions}: shorten the prompt to leave room for new tokens`);
  }
  const kv = new KVCache(backend, model.config, 1, capacity);
  const random = rng(o.seed ?? 0);
  const stop = new Set(o.stop ?? []);
  let made = 0;
  try {
    let input = prompt;
    while (made < maxNew && kv.length + input.length <= capacity) {
      const { logits } = model.forward(input, 1, kv);
      const all = await backend.read(logits);
      backend.dispose(logits);
      const vocab = model.config.vocabSize;
      const next = sample(all.subarray(all.length - vocab), o, random);
      if (stop.has(next)) break;
      made++;
      yield next;
      input = Int32Array.of(next);
    }
  } finally {
    kv.dispose();
  }
}

/** The generated ids (without the prompt); `onToken` sees each as soon as it is chosen. */
export async function generate(model: LlamaModel, prompt: Int32Array, o: GenerateOptions = {}): Promise<number[]> {
  const out: number[] = [];
  for await (const id of tokenStream(model, prompt, o)) {
    out.push(id);
    o.onToken?.(id);
  }
  return out;
}
