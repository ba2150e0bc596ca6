// What the model commands (finetune, eval, generate, merge) share: opening the backend, the model folder
// (or the built-in model), its tokenizer, and an adapter folder.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Backend } from '../backend.js';
import { createBackend, parseBackendChoice } from '../select.js';
import { loadModel, type LoadedModel } from '../model/checkpoint.js';
import { nodeFiles } from '../model/node-files.js';
import { Tokenizer } from '../tokenizer/index.js';
import { builtinModelSource } from '../builtin/model.js';
import { builtinTokenizerJson } from '../builtin/tokenizer.js';

/** The backend the user chose (or the automatic one). */
export function openBackend(choice: string | undefined): Promise<Backend> {
  return createBackend(choice ? { backend: parseBackendChoice(choice, '--backend') } : {});
}

export interface OpenedModel extends LoadedModel {
  tokenizer: Tokenizer | null;
  /** End-of-sequence id, from generation_config.json or config.json. */
  eos: number | undefined;
  /** "built-in" or the folder's path. */
  source: string;
}

function firstId(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return undefined;
}

/** A Hugging Face model folder, or the built-in model when `dir` is undefined. */
export async function openModel(backend: Backend, dir: string | undefined): Promise<OpenedModel> {
  if (!dir) {
    const loaded = await loadModel(backend, builtinModelSource());
    return { ...loaded, tokenizer: Tokenizer.fromJSON(builtinTokenizerJson()), eos: firstId(loaded.config.raw.eos_token_id), source: 'built-in' };
  }
  const path = resolve(dir);
  if (!existsSync(path)) throw new Error(`[model] ${path} does not exist (pass a Hugging Face model folder with config.json and *.safetensors)`);
  const loaded = await loadModel(backend, nodeFiles(path));
  let tokenizer: Tokenizer | null = null;
  if (existsSync(join(path, 'tokenizer.json'))) {
    tokenizer = Tokenizer.fromJSON(readFileSync(join(path, 'tokenizer.json'), 'utf8'));
    if (existsSync(join(path, 'tokenizer_config.json'))) tokenizer.setChatConfig(readFileSync(join(path, 'tokenizer_config.json'), 'utf8'));
  }
  const eos = firstId(loaded.generation?.eos_token_id) ?? firstId(loaded.config.raw.eos_token_id);
  return { ...loaded, tokenizer, eos, source: path };
}
