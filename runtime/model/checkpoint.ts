// Loading a Hugging Face model folder: config.json, model.safetensors or a sharded
// model.safetensors.index.json, and generation_config.json when present. Tensors are read one at a time
// (each shard's header first, then each tensor's own byte range) and handed to the backend, so at no point are
// two full copies of the weights in memory: a BF16/F16 matrix that stays in 2 bytes goes as its raw values
// (Backend.weight's HalfBits; wasm copies them straight into its memory), anything else as float32. Only the tensors the
// model needs are read; extra ones (e.g. old rotary inv_freq buffers) are left on disk.
// The frozen matrices (linear weights, embedding, LM head) go through `backend.weight`, so a
// WebGPU device with shader-f16 keeps them in half precision, and WebAssembly does for checkpoints stored in
// BF16/F16 (halfWeights; runtime/model/fits.ts `halfByDefault`); norms and biases stay float32.
// Everything is checked before the first tensor is read: config.json (runtime/model/config.ts), the size of
// the model against what the backend can hold, the index and that every shard it names exists, each shard's
// header (its tensors must cover its data exactly). While reading, a tensor holding NaN or Inf is refused with
// its name and count, so bad weights never turn into a silent NaN loss. Errors are OsteonErrors naming the file.
// Not handled: PyTorch .bin checkpoints, quantised weights (rejected by runtime/model/config.ts).
import { bad, parseSafetensorsHeader, safetensorsHeaderLength, type StoredTensor, type TensorEntry, toFloat32 } from '../safetensors.js';
import type { Backend, HalfBits, Tensor } from '../backend.js';
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

/** How many 2-byte values (bfloat16 or float16 bits) are NaN or infinite: their exponent is all ones. */
function countNonFiniteBits(data: HalfBits): number {
  const mask = data.dtype === 'bfloat16' ? 0x7f80 : 0x7c00;
  let n = 0;
  for (let i = 0; i < data.bits.length; i++) if ((data.bits[i] & mask) === mask) n++;
  return n;
}

/** One tensor as read from its shard, not yet converted; `where` names the shard for errors. */
export interface ReadTensor { name: string; shape: number[]; stored: StoredTensor; where: string }

/** The tensor's values as float32, refused with its name and count when any is NaN or infinite. */
export function finiteFloat32(t: ReadTensor): Float32Array {
  const values = toFloat32(t.stored);
  refuseNonFinite(t, countNonFinite(values), values.length);
  return values;
}

/** A BF16/F16 tensor's raw 2-byte values (no float32 copy), refused like finiteFloat32. */
function finiteBits(t: ReadTensor): HalfBits {
  const { bytes } = t.stored;
  // A Uint16Array needs an even offset; a read into a shared pool may start at an odd one.
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const data: HalfBits = { dtype: t.stored.dtype === 'BF16' ? 'bfloat16' : 'float16', bits: new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2) };
  refuseNonFinite(t, countNonFiniteBits(data), data.bits.length);
  return data;
}

function refuseNonFinite(t: ReadTensor, nonFinite: number, total: number): void {
  if (nonFinite) {
    fail(t.where, `${t.where}: "${t.name}" holds ${nonFinite} NaN or infinite value(s) of ${total}; ` +
      'the checkpoint is damaged (or was saved after training diverged): use another copy of the weights');
  }
}

/** Read the named tensors one at a time, each shard's in file order, and pass each, unconverted, to `take`
 *  (which converts and uploads it, so only one tensor's bytes are held at a time). Shapes must match `wanted`
 *  exactly; a missing tensor or a shape mismatch names the tensor and the file. */
export async function readTensors(files: FileSource, wanted: Map<string, number[]>, take: (t: ReadTensor) => void): Promise<void> {
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
    const file = `${files.name}/${path}`;
    for (const name of names) {
      const e = shard.entries.get(name);
      if (!e) fail(file, `${file} does not contain "${name}" although the index says so`);
      const shape = wanted.get(name)!;
      if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
        fail(file, `${file}: "${name}" is [${e.shape}] but config.json implies [${shape}] (config and weights do not match)`);
      }
      if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
        fail(file, `${file}: "${name}" is ${e.dtype}; only F32, F16 and BF16 weights can be loaded`);
      }
      const bytes = await files.read(path, { start: shard.dataStart + e.start, end: shard.dataStart + e.end });
      if (bytes.byteLength !== e.end - e.start) bad(file, `"${name}" is cut short (truncated file)`);
      take({ name, shape, stored: { name, dtype: e.dtype, shape: e.shape, bytes }, where: file });
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
    await readTensors(files, weightShapes(config), (t) => {
      const half = t.shape.length === 2 && halfByDefault(backend.name, options.halfWeights, t.stored.dtype);
      // A 2-byte tensor goes to the backend as its raw values: wasm keeps them in 2 bytes with no float32 copy.
      const data = half && t.stored.dtype !== 'F32' ? finiteBits(t) : finiteFloat32(t);
      weights.set(t.name, half ? backend.weight(t.shape, data, t.name) : backend.tensor(t.shape, data as Float32Array, t.name));
    });
  } catch (e) {
    for (const t of weights.values()) backend.dispose(t);
    throw e;
  }
  return { model: new LlamaModel(backend, config, weights), config, generation };
}
