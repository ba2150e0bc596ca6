// What every job of the public API (finetune, evaluate, generate, merge) starts with: a backend (the one
// the caller passed, or a new one it chose by name), a model folder with its tokenizer (or the built-in
// model), and optionally a PEFT adapter folder.
import { type BackendChoice, createBackend, parseBackendChoice } from '../select.js';
import type { Backend } from '../backend.js';
import { type LoadedModel, loadModel } from '../model/checkpoint.js';
import type { FileSource } from '../model/files.js';
import { Tokenizer } from '../tokenizer/index.js';
import { decodeUtf8 } from '../errors.js';
import { BUILTIN_FOLDER } from '../builtin/builtin.js';
import { type ModelAdapter, loadAdapter } from '../peft/adapter.js';
import { type FolderSource, describeSource, openFolder } from './sources.js';
import { OsteonError } from '../errors.js';

/** A backend by name ('webgpu' | 'wasm' | 'reference' | 'auto'), or one the caller already holds (it is
 *  then the caller's to destroy). */
export type BackendOption = BackendChoice | Backend;

export interface OpenedModel extends LoadedModel {
  files: FileSource;
  tokenizer: Tokenizer | null;
  /** End-of-sequence id, from generation_config.json or config.json. */
  eos: number | undefined;
  /** "built-in" or where the folder is. */
  source: string;
  builtin: boolean;
}

function firstId(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return undefined;
}

const text = async (files: FileSource, path: string) => decodeUtf8(await files.read(path), 'tokenizer', `${files.name}/${path}`);

/** A Hugging Face model folder, or the built-in model when `source` is undefined. */
export async function openModel(backend: Backend, source: FolderSource | undefined, halfWeights?: boolean): Promise<OpenedModel> {
  const builtin = source === undefined;
  const files = openFolder(source ?? BUILTIN_FOLDER, 'model');
  if (!(await files.exists('config.json'))) {
    throw new OsteonError('model', builtin
      ? `the built-in model is missing from ${describeSource(BUILTIN_FOLDER)}; build the package (npm run build), or pass a model folder (--model)`
      : `${describeSource(source)} has no config.json: pass a Hugging Face model folder (config.json, *.safetensors, tokenizer.json)`);
  }
  const loaded = await loadModel(backend, files, { halfWeights });
  let tokenizer: Tokenizer | null = null;
  if (await files.exists('tokenizer.json')) {
    tokenizer = Tokenizer.fromJSON(await text(files, 'tokenizer.json'));
    if (await files.exists('tokenizer_config.json')) tokenizer.setChatConfig(await text(files, 'tokenizer_config.json'));
  }
  const eos = firstId(loaded.generation?.eos_token_id) ?? firstId(loaded.config.raw.eos_token_id);
  return { ...loaded, files, tokenizer, eos, source: builtin ? 'built-in' : describeSource(source), builtin };
}

export interface ModelOptions {
  backend?: BackendOption;
  /** A model folder (default: the built-in model). */
  model?: FolderSource;
  /** Keep frozen weights in half precision where the backend can (default true). */
  halfWeights?: boolean;
}

/** The model open on the chosen backend; `close` releases the model and a backend created here (a backend
 *  the caller passed stays theirs). */
export async function openSession(o: ModelOptions): Promise<{ opened: OpenedModel; backend: Backend; close(): void }> {
  const owned = typeof o.backend !== 'object';
  const backend = owned
    ? await createBackend(o.backend === undefined ? {} : { backend: parseBackendChoice(o.backend as string) })
    : o.backend as Backend;
  let opened: OpenedModel;
  try {
    opened = await openModel(backend, o.model, o.halfWeights);
  } catch (e) {
    if (owned) backend.destroy();
    throw e;
  }
  return {
    opened, backend,
    close() {
      if (owned) backend.destroy();
      else opened.model.dispose();
    },
  };
}

/** Run `job` with the model open (openSession), closing it afterwards. */
export async function withModel<T>(o: ModelOptions, job: (opened: OpenedModel, backend: Backend) => Promise<T>): Promise<T> {
  const session = await openSession(o);
  try {
    return await job(session.opened, session.backend);
  } finally {
    session.close();
  }
}

/** Load a PEFT adapter folder onto an opened model. */
export async function openAdapter(opened: OpenedModel, source: FolderSource): Promise<ModelAdapter> {
  return loadAdapter(opened.model, openFolder(source, 'adapter'));
}
