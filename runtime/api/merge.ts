// merge(): fold an adapter into the base weights and return the merged model as a Hugging Face folder
// (config.json, model.safetensors, and the tokenizer files of the source folder), by file name.
import { exportModel } from '../model/export.js';
import { type BackendOption, type OpenedModel, openAdapter, withModel } from './open.js';
import type { FolderSource } from './sources.js';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];

/** The opened model's weights as they are now, as a Hugging Face folder with the source's tokenizer files. */
export async function modelFolderFiles(opened: OpenedModel): Promise<Map<string, Uint8Array>> {
  const out = new Map(Object.entries(await exportModel(opened.model)));
  for (const f of TOKENIZER_FILES) if (await opened.files.exists(f)) out.set(f, await opened.files.read(f));
  return out;
}

export interface MergeOptions {
  /** A model folder (default: the built-in model). */
  model?: FolderSource;
  /** A PEFT adapter folder (or the `files` of a finetune run). */
  adapter: FolderSource;
  backend?: BackendOption;
}

export async function merge(o: MergeOptions): Promise<Map<string, Uint8Array>> {
  // Merged weights are written in float32: load them in float32 so merging rounds nothing.
  return withModel({ ...o, halfWeights: false }, async (opened) => {
    await openAdapter(opened, o.adapter);
    opened.model.merge();
    return modelFolderFiles(opened);
  });
}
