// Loading a Hugging Face model folder: config.json, model.safetensors or a sharded
// model.safetensors.index.json, and generation_config.json when present. Tensors are read one at a time
// (each shard's header first, then each tensor's own byte range), converted from F32/F16/BF16 to float32 and
// handed to the backend, so at no point are two full copies of the weights in memory. Only the tensors the
// model needs are read; extra ones (e.g. old rotary inv_freq buffers) are left on disk.
// The frozen matrices (linear weights, embedding, LM head) go through `backend.weight`, so a
// WebGPU device with shader-f16 keeps them in half precision, and WebAssembly does for checkpoints stored in
// BF16/F16 (halfWeights; runtime/model/fits.ts `halfByDefault`); norms and biases stay float32.
// Everything is checked before the first tensor is read: config.json (runtime/model/config.ts), the size of
// the model against what the backend can hold, the index and that every shard it names exists, each shard's
// header (its tensors must cover its data exactly). While reading, a tensor holding NaN or Inf is refused with
// its name and count, so bad weights never turn into a silent NaN loss. Errors are OsteonErrors naming the file.
// Not handled: PyTorch .bin checkpoints, quantised weights (rejected by runtime/model/config.ts).
import { bad, parseSafetensorsHeader, safetensorsHeaderLength, type TensorEntry, toFloat32 } from '../safetensors.js';
import type { Backend, Tensor } from '../backend.js';
import { OsteonError, shown } from '../errors.js';
import { type FileSource, readJsonFile } from './files.js';
import { type ModelConfig, parseModelConfig } from './config.js';
import { LlamaModel, weightShapes } from './llama.js';
import { checkModelFits, halfByDefault } from './fits.js';

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';

function fail(file: string, message: string): never {
  throw new OsteonError('checkpoint', message, file);
}

/** A shard name from the index: a .safetensors file of the folder itself (no path: nothing outside it). */
const plainName = (name: unknown) => typeof name === 'string' && /^[^/\\]+\.safetensors$/.test(name);

/** Which shard holds each tensor name. Shards opened on the way are left in `opened`. */
async function shardMap(files: FileSource, opened: Map<string, Shard>): Promise<Map<string, string>> {
  if (await files.exists(INDEX)) {
    const source = `${files.name}/${INDEX}`;
    const index = await readJsonFile(files, INDEX, 'checkpoint');
    const map = index.weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      fail(source, `${source} has no weight_map object (got ${shown(map)}); re-download the index or the whole model`);
    }
    const entries = Object.entries(map as Record<string, unknown>);
    const wrong = entries.find(([, file]) => !plainName(file));
    if (wrong) fail(source, `${source}: weight_map["${wrong[0]}"]=${shown(wrong[1])} must be the file name of a .safetensors shard in the same folder`);
    const shards = [...new Set(entries.map(([, file]) => file as string))];
    for (const shard of shards) {
      if (!(await files.exists(shard))) {
        fail(`${files.name}/${shard}`, `${files.name} has no ${shard}, which ${INDEX} names as a shard (${shards.length} shards in all); download the missing shard`);
      }
    }
    return new Map(entries as [string, string][]);
  }
  if (await files.exists(SINGLE)) {
    const shard = await openShard(files, SINGLE);
    opened.set(SINGLE, shard);
    return new Map([...shard.entries.keys()].map((name) => [name, SINGLE]));
  }
  const hint = (await files.exists('pytorch_model.bin')) ? ' (only pytorch_model.bin is there: convert it to safetensors first)' : '';
  return fail(files.name, `${files.name} has neither ${SINGLE} nor ${INDEX}${hint}`);
}

interface Shard { path: string; dataStart: number; entries: Map<string, TensorEntry> }

/** A shard's header, checked against the file's length: the tensors must end exactly where the file does. */
async function openShard(files: FileSource, path: string): Promise<Shard> {
  const source = `${files.name}/${path}`;
  const headerLen = safetensorsHeaderLength(await files.read(path, { start: 0, end: 8 }), Infinity, source);
  const header = await files.read(path, { start: 8, end: 8 + headerLen });
  if (header.byteLength !== headerLen) bad(source, `the file ends inside its ${headerLen}-byte header (truncated)`);
  const dataStart = 8 + headerLen;
  const { entries, dataEnd } = parseSafetensorsHeader(header, Infinity, source);
  // The byte before the data's end must exist and the one after it must not: one small read, no file size.
  const tail = await files.read(path, { start: dataStart + dataEnd - 1, end: dataStart + dataEnd + 1 });
  if (tail.byteLength === 0) bad(source, `the tensors end at data byte ${dataEnd} but the file is shorter (truncated)`);
  if (tail.byteLength > 1) bad(source, `bytes follow the last tensor, which ends at data byte ${dataEnd}`);
  return { path, dataStart, entries };
}

/** How many values are NaN or infinite. */
export function countNonFinite(values: Float32Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) n++;
  return n;
}

/** Read the named tensors as float32, one at a time, and pass each to `take` (which uploads it). Shapes must
 *  match `wanted` exactly; a missing tensor or a shape mismatch names the tensor and the file. */
export async function readTensors(
  files: FileSource, wanted: Map<string, number[]>, take: (name: string, shape: number[], data: Float32Array, stored: string) => void,
): Promise<void> {
  const opened = new Map<string, Shard>();
  const where = await shardMap(files, opened);
  const missing = [...wanted.keys()].filter((n) => !where.has(n));
  if (missing.length) {
    const listing = `${files.name}/${(await files.exists(INDEX)) ? INDEX : SINGLE}`;
    fail(listing, `${listing} lacks ${missing.length} tensor(s) this config needs, e.g. ${missing.slice(0, 3).join(', ')} ` +
      '(config.json and the weights do not belong together, or the checkpoint is not a LLaMA-family causal LM)');
  }
  const byShard = new Map<string, string[]>();
  for (const name of wanted.keys()) byShard.set(where.get(name)!, [...(byShard.get(where.get(name)!) ?? []), name]);
  for (const [path, names] of byShard) {
    const shard = opened.get(path) ?? await openShard(files, path);
    for (const name of names) {
      const e = shard.entries.get(name);
      if (!e) fail(`${files.name}/${path}`, `${files.name}/${path} does not contain "${name}" although the index says so`);
      const shape = wanted.get(name)!;
      if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
        fail(`${files.name}/${path}`, `${files.name}/${path}: "${name}" is [${e.shape}] but config.json implies [${shape}] (config and weights do not match)`);
      }
      if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
        fail(`${files.name}/${path}`, `${files.name}/${path}: "${name}" is ${e.dtype}; only F32, F16 and BF16 weights can be loaded`);
      }
      const bytes = await files.read(path, { start: shard.dataStart + e.start, end: shard.dataStart + e.end });
      if (bytes.byteLength !== e.end - e.start) bad(`${files.name}/${path}`, `"${name}" is cut short (truncated file)`);
      const values = toFloat32({ name, dtype: e.dtype, shape: e.shape, bytes });
      const nonFinite = countNonFinite(values);
      if (nonFinite) {
        fail(`${files.name}/${path}`, `${files.name}/${path}: "${name}" holds ${nonFinite} NaN or infinite value(s) of ${values.length}; ` +
          'the checkpoint is damaged (or was saved after training diverged): use another copy of the weights');
      }
      take(name, shape, values, e.dtype);
    }
  }
}

export interface LoadedModel {
  model: LlamaModel;
  config: ModelConfig;
  /** generation_config.json, parsed, when the folder has one. */
  generation: Record<string, unknown> | null;
}

export interface LoadOptions {
  /** Store the 2-D weights with `backend.weight` (half precision where the backend offers it). Default: on
   *  WebGPU, and on WebAssembly for checkpoints stored in BF16/F16 (runtime/model/fits.ts `halfByDefault`). */
  halfWeights?: boolean;
}

/** Load a model folder onto the backend. */
export async function loadModel(backend: Backend, files: FileSource, options: LoadOptions = {}): Promise<LoadedModel> {
  if (!(await files.exists('config.json'))) fail(files.name, `${files.name} has no config.json (is it a Hugging Face model folder?)`);
  const source = `${files.name}/config.json`;
  const config = parseModelConfig(await readJsonFile(files, 'config.json', 'config'), source);
  checkModelFits(config, backend, source, options.halfWeights);
  const generation = (await files.exists('generation_config.json')) ? await readJsonFile(files, 'generation_config.json', 'checkpoint') : null;
  const weights = new Map<string, Tensor>();
  try {
    await readTensors(files, weightShapes(config), (name, shape, data, stored) => weights.set(name,
      shape.length === 2 && halfByDefault(backend.name, options.halfWeights, stored)
        ? backend.weight(shape, data, name) : backend.tensor(shape, data, name)));
  } catch (e) {
    for (const t of weights.values()) backend.dispose(t);
    throw e;
  }
  return { model: new LlamaModel(backend, config, weights), config, generation };
}
