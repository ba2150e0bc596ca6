// Loading a Hugging Face model folder: config.json, model.safetensors or a sharded
// model.safetensors.index.json, and generation_config.json when present. Tensors are read one at a time
// (each shard's header first, then each tensor's own byte range), converted from F32/F16/BF16 to float32 and
// handed to the backend, so at no point are two full copies of the weights in memory. Only the tensors the
// model needs are read; extra ones (e.g. old rotary inv_freq buffers) are left on disk.
// The frozen matrices (linear weights, embedding, LM head) go through `backend.weight`, so a
// WebGPU device with shader-f16 keeps them in half precision (halfWeights, default on); norms and biases stay
// float32.
// Not handled: PyTorch .bin checkpoints, quantised weights (rejected by runtime/model/config.ts).
import { parseSafetensorsHeader, safetensorsHeaderLength, type TensorEntry, toFloat32 } from '../safetensors.js';
import type { Backend, Tensor } from '../backend.js';
import type { FileSource } from './files.js';
import { type ModelConfig, parseModelConfig } from './config.js';
import { LlamaModel, weightShapes } from './llama.js';

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';

async function readJson(files: FileSource, path: string): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await files.read(path));
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`[checkpoint] ${files.name}/${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** Which shard holds each tensor name. Shards opened on the way are left in `opened`. */
async function shardMap(files: FileSource, opened: Map<string, Shard>): Promise<Map<string, string>> {
  if (await files.exists(INDEX)) {
    const index = await readJson(files, INDEX);
    const map = index.weight_map as Record<string, string> | undefined;
    if (!map || typeof map !== 'object') throw new Error(`[checkpoint] ${files.name}/${INDEX} has no weight_map`);
    return new Map(Object.entries(map));
  }
  if (await files.exists(SINGLE)) {
    const shard = await openShard(files, SINGLE);
    opened.set(SINGLE, shard);
    return new Map([...shard.entries.keys()].map((name) => [name, SINGLE]));
  }
  const hint = (await files.exists('pytorch_model.bin')) ? ' (only pytorch_model.bin is there: convert it to safetensors first)' : '';
  throw new Error(`[checkpoint] ${files.name} has neither ${SINGLE} nor ${INDEX}${hint}`);
}

interface Shard { path: string; dataStart: number; entries: Map<string, TensorEntry> }

async function openShard(files: FileSource, path: string): Promise<Shard> {
  const source = `${files.name}/${path}`;
  const headerLen = safetensorsHeaderLength(await files.read(path, { start: 0, end: 8 }), Infinity, source);
  const header = await files.read(path, { start: 8, end: 8 + headerLen });
  if (header.byteLength !== headerLen) throw new Error(`[safetensors] ${source}: the file ends inside its ${headerLen}-byte header (truncated)`);
  return { path, dataStart: 8 + headerLen, entries: parseSafetensorsHeader(header, Infinity, source).entries };
}

/** Read the named tensors as float32, one at a time, and pass each to `take` (which uploads it). Shapes must
 *  match `wanted` exactly; a missing tensor or a shape mismatch names the tensor and the file. */
export async function readTensors(
  files: FileSource, wanted: Map<string, number[]>, take: (name: string, shape: number[], data: Float32Array) => void,
): Promise<void> {
  const opened = new Map<string, Shard>();
  const where = await shardMap(files, opened);
  const missing = [...wanted.keys()].filter((n) => !where.has(n));
  if (missing.length) {
    throw new Error(`[checkpoint] ${files.name} lacks ${missing.length} tensor(s) this config needs, e.g. ${missing.slice(0, 3).join(', ')} ` +
      '(config.json and the weights do not belong together, or the checkpoint is not a LLaMA-family causal LM)');
  }
  const byShard = new Map<string, string[]>();
  for (const name of wanted.keys()) byShard.set(where.get(name)!, [...(byShard.get(where.get(name)!) ?? []), name]);
  for (const [path, names] of byShard) {
    const shard = opened.get(path) ?? await openShard(files, path);
    for (const name of names) {
      const e = shard.entries.get(name);
      if (!e) throw new Error(`[checkpoint] ${files.name}/${path} does not contain "${name}" although the index says so`);
      const shape = wanted.get(name)!;
      if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`[checkpoint] ${files.name}/${path}: "${name}" is [${e.shape}] but config.json implies [${shape}] (config and weights do not match)`);
      }
      if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
        throw new Error(`[checkpoint] ${files.name}/${path}: "${name}" is ${e.dtype}; only F32, F16 and BF16 weights can be loaded`);
      }
      const bytes = await files.read(path, { start: shard.dataStart + e.start, end: shard.dataStart + e.end });
      if (bytes.byteLength !== e.end - e.start) throw new Error(`[safetensors] ${files.name}/${path}: "${name}" is cut short (truncated file)`);
      take(name, shape, toFloat32({ name, dtype: e.dtype, shape: e.shape, bytes }));
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
  /** Store the 2-D weights with `backend.weight` (half precision where the backend offers it); default true. */
  halfWeights?: boolean;
}

/** Load a model folder onto the backend. */
export async function loadModel(backend: Backend, files: FileSource, options: LoadOptions = {}): Promise<LoadedModel> {
  if (!(await files.exists('config.json'))) throw new Error(`[checkpoint] ${files.name} has no config.json (is it a Hugging Face model folder?)`);
  const config = parseModelConfig(await readJson(files, 'config.json'));
  const generation = (await files.exists('generation_config.json')) ? await readJson(files, 'generation_config.json') : null;
  const weights = new Map<string, Tensor>();
  try {
    const half = options.halfWeights ?? true;
    await readTensors(files, weightShapes(config), (name, shape, data) => weights.set(name,
      half && shape.length === 2 ? backend.weight(shape, data, name) : backend.tensor(shape, data, name)));
  } catch (e) {
    for (const t of weights.values()) backend.dispose(t);
    throw e;
  }
  return { model: new LlamaModel(backend, config, weights), config, generation };
}
