// Generated corrupt inputs for every file osteon parses: config.json, adapter_config.json,
// model.safetensors.index.json, safetensors (model and adapter), tokenizer.json and JSONL data. Each target
// starts from a real, valid file of the test fixtures (or the tiny model's byte-level tokenizer), applies one
// to three seeded mutations (structured ones on the JSON tree and the safetensors header, raw ones on the
// bytes), runs the real parser or loader on it, and checks the outcome: either an OsteonError of the expected
// component naming the file it concerns, or a result that is correct (sizes consistent, every weight and id in
// range, nothing NaN). No mocks: the files are real files in their real formats, read the way the CLI reads them.
// Shared by tests/fuzz.test.ts (a fixed number of cases per target, every `npm test`) and tests/fuzz-main.ts
// (`npm run fuzz -- --seconds N`, a longer run from a fixed seed).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OsteonError } from '../runtime/errors.js';
import { readSafetensors, writeSafetensors, toFloat32, type TensorToWrite } from '../runtime/safetensors.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { loadModel } from '../runtime/model/checkpoint.js';
import { filesFromMap } from '../runtime/model/files.js';
import { loadAdapter } from '../runtime/peft/adapter.js';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { tinyTokenizerJson, TINY_EOS } from './tiny-model.js';
import { examplesFromJsonl } from '../runtime/train/data.js';
import { IGNORE_INDEX } from '../runtime/backend.js';
import { lenmlTokenizer } from './tokenizer-cases.js';

// The bundles live in build/tests and build/fuzz: the fixtures are two folders up.
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'fixtures', 'llama-bone');
const read = (path: string) => new Uint8Array(readFileSync(join(fixtures, path)));
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const encode = (s: string) => new TextEncoder().encode(s);

/** Deterministic random numbers (mulberry32) for one case. */
export class Rng {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]; }
}

// ---- mutations --------------------------------------------------------------------------------------------

/** Values that break type, range or precision assumptions. */
const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1, 2, 0.5, -0.0, 3.7, 1e308, -1e308, 2 ** 31, 2 ** 32 + 5, 2 ** 53 + 2, 1e21,
  '', 'x', '12', 'NaN', [], [1, 2], {}, { a: 1 }, 'sliding_attention',
];

/** Every [container, key] of a JSON tree (objects and arrays), the root's keys included. */
function slots(value: unknown, out: [Record<string | number, unknown>, string | number][] = [], depth = 0): typeof out {
  if (depth > 6 || typeof value !== 'object' || value === null) return out;
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  // Large tables (a vocabulary) contribute a few keys, not thousands.
  for (const k of keys.length > 24 ? keys.filter((_, i) => i % Math.ceil(keys.length / 24) === 0) : keys) {
    out.push([value as Record<string | number, unknown>, k]);
    slots((value as Record<string | number, unknown>)[k], out, depth + 1);
  }
  return out;
}

/** One change to a parsed JSON value: a field replaced by an odd value or a nearby number, deleted, or a
 *  known field added. Returns the (possibly new) root. */
function mutateJson(root: unknown, rng: Rng, fields: string[]): unknown {
  const all = slots(root);
  const roll = rng.next();
  const odd = () => structuredClone(rng.pick(ODD_VALUES));
  if (roll < 0.05 || !all.length) return odd();
  if (roll < 0.2 && typeof root === 'object' && root && !Array.isArray(root)) {
    (root as Record<string, unknown>)[rng.pick(fields)] = odd();
    return root;
  }
  const [container, key] = rng.pick(all);
  const old = container[key];
  if (roll < 0.3 && !Array.isArray(container)) delete container[key];
  else if (typeof old === 'number' && rng.next() < 0.5) container[key] = rng.pick([0, -old, old * 1e9, old + 0.5, old + 1, old - 1, 2 ** 53 + 2]);
  else container[key] = odd();
  return root;
}

/** One change to raw bytes: truncation, appended or inserted garbage, a flipped byte, invalid UTF-8. */
function mutateBytes(bytes: Uint8Array, rng: Rng, focus = bytes.length): Uint8Array {
  const at = rng.int(Math.max(1, Math.min(focus, bytes.length)));
  const bad = rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x00]]);
  switch (rng.int(5)) {
    case 0: return bytes.slice(0, at);
    case 1: return concatBytes(bytes, Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)));
    case 2: return concatBytes(bytes.slice(0, at), Uint8Array.from(bad), bytes.slice(at));
    case 3: { const out = bytes.slice(); out[at] ^= 1 << rng.int(8); return out; }
    default: { const out = bytes.slice(); out[at] = rng.int(256); return out; }
  }
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** A JSON file mutated structurally (mostly) or as bytes. */
function mutateJsonFile(original: Uint8Array, rng: Rng, fields: string[]): Uint8Array {
  if (rng.next() < 0.25) return mutateBytes(original, rng);
  let value: unknown = JSON.parse(text(original));
  for (let n = 1 + rng.int(3); n > 0; n--) value = mutateJson(value, rng, fields);
  return encode(JSON.stringify(value, null, rng.next() < 0.5 ? 2 : undefined));
}

/** safetensors with its header edited: offsets shifted (holes, overlaps, past the end, past 2^53), shapes or
 *  dtypes changed, tensors dropped, NaN or Inf written into the data, or the header length itself changed. */
function mutateSafetensors(file: Uint8Array, rng: Rng): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(text(file.subarray(8, 8 + headerLen))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  let data: Uint8Array = file.slice(8 + headerLen);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = rng.pick(names);
  const t = header[name];
  const shift = rng.pick([1, 4, -4, 8, 2 ** 53, 2 ** 53 + 8, 2 ** 60, 2 ** 32]);
  switch (rng.int(9)) {
    case 0: for (const n of names) header[n].data_offsets = header[n].data_offsets.map((o) => o + shift) as [number, number]; break; // hole first
    case 1: t.data_offsets = t.data_offsets.map((o) => o + shift) as [number, number]; break;
    case 2: t.data_offsets[rng.int(2)] = rng.pick([2 ** 53 + 2, -1, 1.5, data.length + 4]); break;
    case 3: t.shape = t.shape.map((d) => rng.pick([d, d + 1, 0, 2 ** 40])); break;
    case 4: t.dtype = rng.pick(['F16', 'BF16', 'I64', 'U8', 'F8_E4M3', 'Q4']); break;
    case 5: delete header[name]; break;
    case 6: data = concatBytes(data, new Uint8Array(1 + rng.int(8))); break; // bytes after the last tensor
    case 7: { // a non-finite value inside a float tensor
      const f = header[name];
      if (f.dtype === 'F32' && f.data_offsets[1] > f.data_offsets[0]) {
        new DataView(data.buffer).setFloat32(f.data_offsets[0] + 4 * rng.int((f.data_offsets[1] - f.data_offsets[0]) / 4), rng.pick([NaN, Infinity, -Infinity]), true);
      }
      break;
    }
    default: { // a header length that does not match
      const out = file.slice();
      new DataView(out.buffer).setBigUint64(0, BigInt(rng.pick([0, headerLen - 1, headerLen + 1, 2 ** 53 + 1, file.length])), true);
      return out;
    }
  }
  const json = encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return rng.next() < 0.15 ? mutateBytes(out, rng, 8 + json.length) : out;
}

// ---- checks -----------------------------------------------------------------------------------------------

/** null when `e` is an OsteonError of one of `components` whose `file` ends with one of `files` and whose
 *  message names that file; otherwise why not. */
export function typedError(e: unknown, components: string[], files: string[]): string | null {
  if (!(e instanceof OsteonError)) return `untyped ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`;
  if (!components.includes(e.component)) return `component "${e.component}", expected ${components.join(' or ')}: ${e.message}`;
  if (!e.message.startsWith(`[${e.component}] `)) return `message does not start with [${e.component}]: ${e.message}`;
  if (!e.file || !files.some((f) => e.file!.endsWith(f))) return `file ${e.file}, expected one of ${files.join(', ')}: ${e.message}`;
  const base = e.file.split('/').pop()!;
  if (!e.message.includes(base)) return `message does not name ${base}: ${e.message}`;
  return null;
}

type Check = () => Promise<string | null>;

/** How the cases of each target ended: "accepted", or "refused by [component]" (for the long run's report). */
export const endings = new Map<string, Map<string, number>>();
let running = '';
const ended = (how: string) => {
  const counts = endings.get(running) ?? endings.set(running, new Map()).get(running)!;
  counts.set(how, (counts.get(how) ?? 0) + 1);
};

/** Run the parser; a thrown error must be typed, a result must pass `correct`. */
async function outcome<T>(run: () => Promise<T> | T, components: string[], files: string[], correct: (r: T) => Promise<string | null> | string | null): Promise<string | null> {
  let result: T;
  try {
    result = await run();
  } catch (e) {
    ended(e instanceof OsteonError ? `refused by [${e.component}]` : 'untyped error');
    return typedError(e, components, files);
  }
  ended('accepted');
  return correct(result);
}

const backend = new ReferenceBackend();
const folder = (files: Record<string, Uint8Array>, name: string) => filesFromMap(new Map(Object.entries(files)), name);
const MODEL = '/fuzz/model';

/** A loaded model is correct when every weight has the shape config.json implies and is finite. */
async function loadedCorrectly(loaded: Awaited<ReturnType<typeof loadModel>>): Promise<string | null> {
  try {
    for (const [name, t] of loaded.model.namedWeights()) {
      const values = await backend.read(t);
      if (!values.every(Number.isFinite)) return `weight ${name} holds a non-finite value after loading`;
    }
    const c = loaded.config;
    if (!(c.rmsNormEps >= 0) || !c.invFreq.every((f) => Number.isFinite(f) && f >= 0)) return 'config loaded with a non-finite rms_norm_eps or rotary frequency';
    return null;
  } finally {
    for (const t of loaded.model.namedWeights().values()) backend.dispose(t);
  }
}

function safetensorsConsistent(bytes: Uint8Array): (r: ReturnType<typeof readSafetensors>) => string | null {
  return (r) => {
    const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    let total = 0;
    const sizes: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
    for (const t of r.tensors.values()) {
      const n = t.shape.reduce((a, b) => a * b, 1) * sizes[t.dtype];
      if (n !== t.bytes.byteLength) return `tensor ${t.name} has ${t.bytes.byteLength} bytes for [${t.shape}] ${t.dtype}`;
      total += n;
    }
    // Disjoint tensors (overlaps are refused) that cover the data exactly sum to its length.
    if (total !== bytes.length - 8 - headerLen) return `tensors hold ${total} bytes of ${bytes.length - 8 - headerLen} data bytes`;
    return null;
  };
}

// ---- targets ----------------------------------------------------------------------------------------------

export interface Target { name: string; make(rng: Rng): Check }

const modelFiles = { config: read('model/config.json'), weights: read('model/model.safetensors') };
const adapterFiles = { config: read('adapter/adapter_config.json'), weights: read('adapter/adapter_model.safetensors') };
const CONFIG_FIELDS = ['model_type', 'vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads',
  'num_key_value_heads', 'head_dim', 'rms_norm_eps', 'rope_theta', 'rope_scaling', 'rope_parameters', 'max_position_embeddings',
  'tie_word_embeddings', 'attention_bias', 'mlp_bias', 'sliding_window', 'use_sliding_window', 'max_window_layers', 'layer_types',
  'eos_token_id', 'bos_token_id', 'hidden_act', 'quantization_config', 'attention_dropout'];
const PEFT_FIELDS = ['peft_type', 'r', 'init_weights', 'mini_r', 'miss_dropout', 'lora_alpha', 'lora_dropout', 'target_modules',
  'exclude_modules', 'layers_to_transform', 'layers_pattern', 'bias', 'modules_to_save', 'task_type', 'inference_mode', 'use_dora'];

/** A rope_scaling block some mutations start from, so its own fields get exercised. */
function withRope(config: Uint8Array, rng: Rng): Uint8Array {
  if (rng.next() < 0.7) return config;
  const c = JSON.parse(text(config)) as Record<string, unknown>;
  c.rope_scaling = rng.pick([
    { rope_type: 'linear', factor: 2 },
    { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
  ]);
  return encode(JSON.stringify(c));
}

const configTarget: Target = {
  name: 'config.json',
  make(rng) {
    const config = mutateJsonFile(withRope(modelFiles.config, rng), rng, CONFIG_FIELDS);
    return () => outcome(() => loadModel(backend, folder({ 'config.json': config, 'model.safetensors': modelFiles.weights }, MODEL)),
      ['config', 'checkpoint'], ['config.json', 'model.safetensors'], loadedCorrectly);
  },
};

const modelWeightsTarget: Target = {
  name: 'model.safetensors',
  make(rng) {
    const weights = mutateSafetensors(modelFiles.weights, rng);
    return async () => (await outcome(() => readSafetensors(weights, 'model.safetensors'), ['safetensors'], ['model.safetensors'], safetensorsConsistent(weights))) ??
      outcome(() => loadModel(backend, folder({ 'config.json': modelFiles.config, 'model.safetensors': weights }, MODEL)),
        ['safetensors', 'checkpoint'], ['model.safetensors'], loadedCorrectly);
  },
};

/** The fixture model split into two shards with an index, as transformers saves large models. */
function shardedModel(): Record<string, Uint8Array> {
  const file = readSafetensors(modelFiles.weights);
  const shards: Record<string, TensorToWrite>[] = [{}, {}];
  const weightMap: Record<string, string> = {};
  [...file.tensors.values()].forEach((t, i) => {
    shards[i % 2][t.name] = { dtype: 'F32', shape: t.shape, data: toFloat32(t) };
    weightMap[t.name] = `model-0000${(i % 2) + 1}-of-00002.safetensors`;
  });
  return {
    'config.json': modelFiles.config,
    'model.safetensors.index.json': encode(JSON.stringify({ metadata: { total_size: modelFiles.weights.length }, weight_map: weightMap })),
    'model-00001-of-00002.safetensors': writeSafetensors(shards[0]),
    'model-00002-of-00002.safetensors': writeSafetensors(shards[1]),
  };
}
const sharded = shardedModel();
const INDEX = 'model.safetensors.index.json';

const indexTarget: Target = {
  name: INDEX,
  make(rng) {
    const files = { ...sharded };
    const shard = rng.pick(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const roll = rng.next();
    if (roll < 0.15) delete files[shard as keyof typeof files];
    else if (roll < 0.3) files[shard] = mutateSafetensors(files[shard], rng);
    else {
      const index = JSON.parse(text(files[INDEX])) as { weight_map: Record<string, unknown> };
      const names = Object.keys(index.weight_map);
      for (let n = 1 + rng.int(2); n > 0; n--) {
        const name = rng.pick(names);
        index.weight_map[name] = rng.pick(['model-00003-of-00002.safetensors', '../model.safetensors', '/etc/passwd', '', 7, null, shard]);
      }
      files[INDEX] = rng.next() < 0.3 ? mutateJsonFile(files[INDEX], rng, ['weight_map', 'metadata']) : encode(JSON.stringify(index));
    }
    // A missing shard is named by whatever name the index gives it.
    return () => outcome(() => loadModel(backend, folder(files, MODEL)), ['checkpoint', 'safetensors'], [INDEX, '.safetensors'], loadedCorrectly);
  },
};

/** A fresh base model per adapter case, so adapters never pile up on one model. */
async function adapterCase(config: Uint8Array, weights: Uint8Array): Promise<string | null> {
  const loaded = await loadModel(backend, folder({ 'config.json': modelFiles.config, 'model.safetensors': modelFiles.weights }, MODEL));
  try {
    return await outcome(() => loadAdapter(loaded.model, folder({ 'adapter_config.json': config, 'adapter_model.safetensors': weights }, '/fuzz/adapter')),
      ['peft', 'safetensors', 'bone', 'bat', 'mini', 'lora'], ['adapter_config.json', 'adapter_model.safetensors'], async (adapter) => {
        for (const [path, layer] of adapter.layers) {
          for (const t of Object.values(layer.params)) if (!(await backend.read(t)).every(Number.isFinite)) return `adapter of ${path} holds a non-finite value`;
        }
        return null;
      });
  } finally {
    for (const t of loaded.model.namedWeights().values()) backend.dispose(t);
  }
}

const adapterConfigTarget: Target = {
  name: 'adapter_config.json',
  make(rng) {
    const config = mutateJsonFile(adapterFiles.config, rng, PEFT_FIELDS);
    return () => adapterCase(config, adapterFiles.weights);
  },
};

const adapterWeightsTarget: Target = {
  name: 'adapter_model.safetensors',
  make(rng) {
    const weights = mutateSafetensors(adapterFiles.weights, rng);
    return () => adapterCase(adapterFiles.config, weights);
  },
};

/** LLaMA 2's tokenizer.json (normalizer, byte fallback, template post-processor, decoder sequence) cut to
 *  its first 2000 tokens and the merges among them, so that each case parses in well under a millisecond. */
function smallLlama2Tokenizer(): Uint8Array {
  const t = JSON.parse(readFileSync(lenmlTokenizer('llama2'), 'utf8')) as { model: { vocab: Record<string, number>; merges: string[] } };
  t.model.vocab = Object.fromEntries(Object.entries(t.model.vocab).filter(([, id]) => id < 2000));
  t.model.merges = t.model.merges.filter((m) => {
    const [a, b] = m.split(' ');
    return [a, b, a + b].every((token) => Object.hasOwn(t.model.vocab, token));
  });
  return encode(JSON.stringify(t));
}
const tokenizerJsons = [encode(JSON.stringify(tinyTokenizerJson())), smallLlama2Tokenizer()];
const SAMPLE = 'Hello, world! 123 <|endoftext|> héllo ✓';
const TOKENIZER_FIELDS = ['model', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'added_tokens', 'truncation', 'padding', 'version'];

const tokenizerTarget: Target = {
  name: 'tokenizer.json',
  make(rng) {
    const json = mutateJsonFile(rng.pick(tokenizerJsons), rng, TOKENIZER_FIELDS);
    return () => outcome(() => {
      const tok = Tokenizer.fromJSON(text(json));
      return { tok, ids: tok.encode(SAMPLE, { addSpecialTokens: true }) };
    }, ['tokenizer'], ['tokenizer.json'], ({ tok, ids }) => {
      const bad = ids.find((id) => tok.idToToken(id) === undefined);
      return bad === undefined ? null : `encode gave id ${bad}, which is no token of the tokenizer`;
    });
  },
};

const tokenizer = Tokenizer.fromJSON(tinyTokenizerJson());
const VOCAB = tokenizer.vocabSize;
const DATA = '/fuzz/data.jsonl';

/** Valid JSONL rows of every kind, then row-level corruptions and byte-level ones. */
function dataRows(rng: Rng): Uint8Array {
  const ids = (n: number) => Array.from({ length: n }, () => rng.int(VOCAB));
  const rows: unknown[] = Array.from({ length: 2 + rng.int(6) }, () => {
    switch (rng.int(4)) {
      case 0: return { input_ids: ids(1 + rng.int(12)) };
      case 1: { const x = ids(1 + rng.int(12)); return { input_ids: x, labels: x.map((v) => (rng.next() < 0.3 ? IGNORE_INDEX : v)) }; }
      case 2: return { text: rng.pick(['a short text', 'ünïcödé ✓', 'x'.repeat(40)]) };
      default: return { prompt: 'Q: 2+2?', completion: ' 4' };
    }
  });
  for (let n = rng.int(3); n > 0; n--) {
    const i = rng.int(rows.length);
    const row = (rows[i] ?? {}) as Record<string, unknown>;
    const roll = rng.next();
    if (roll < 0.5 && Array.isArray(row.input_ids)) {
      const field = 'labels' in row && rng.next() < 0.5 ? 'labels' : 'input_ids';
      const list = row[field] as unknown[];
      list[rng.int(list.length)] = rng.pick([2 ** 32 + 5, -1, IGNORE_INDEX, VOCAB, 1.5, '3', null, 1e308, 2 ** 53 + 2, -(2 ** 31)]);
    } else if (roll < 0.6 && Array.isArray(row.input_ids)) row.labels = (row.input_ids as number[]).slice(1);
    else rows[i] = rng.pick([null, [], 42, 'text', { text: 7 }, { messages: 'hi' }, { prompt: 'only a prompt' }, {}]);
  }
  let bytes: Uint8Array = encode(rows.map((r) => JSON.stringify(r)).join(rng.next() < 0.2 ? '\r\n' : '\n'));
  if (rng.next() < 0.3) bytes = mutateBytes(bytes, rng);
  return bytes;
}

const dataTarget: Target = {
  name: 'data.jsonl',
  make(rng) {
    const bytes = dataRows(rng);
    return () => outcome(() => examplesFromJsonl(bytes, tokenizer, DATA, TINY_EOS, VOCAB), ['data'], ['data.jsonl'], (examples) => {
      for (const [i, e] of examples.entries()) {
        if (e.ids.length !== e.labels.length) return `example ${i} has ${e.ids.length} ids and ${e.labels.length} labels`;
        if (!e.ids.every((id) => id >= 0 && id < VOCAB)) return `example ${i} has an id outside the vocabulary`;
        if (!e.labels.every((l) => l === IGNORE_INDEX || (l >= 0 && l < VOCAB))) return `example ${i} has a label outside the vocabulary`;
      }
      return null;
    });
  },
};

export const TARGETS: Target[] = [configTarget, modelWeightsTarget, indexTarget, adapterConfigTarget, adapterWeightsTarget, tokenizerTarget, dataTarget];

/** The seed of case `i` of a run started from `seed`. */
export const caseSeed = (seed: number, i: number) => (Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;

/** Run case `i` of `target`: null when it passed, else why it failed. A check that throws is a failure too. */
export async function runCase(target: Target, seed: number, i: number): Promise<string | null> {
  running = target.name;
  try {
    return await target.make(new Rng(caseSeed(seed, i)))();
  } catch (e) {
    return `the check itself threw: ${(e as Error).stack ?? e}`;
  }
}

/** The unmutated inputs every target starts from must load: otherwise the cases would test nothing. */
export async function baselineFailures(): Promise<string[]> {
  const ok = (how: string) => (why: string | null) => (why ? [`${how}: ${why}`] : []);
  const refuse = (e: unknown) => `refused: ${(e as Error).message}`;
  const results = await Promise.all([
    loadModel(backend, folder({ 'config.json': modelFiles.config, 'model.safetensors': modelFiles.weights }, MODEL)).then(loadedCorrectly, refuse).then(ok('model')),
    loadModel(backend, folder(sharded, MODEL)).then(loadedCorrectly, refuse).then(ok('sharded model')),
    adapterCase(adapterFiles.config, adapterFiles.weights).then(ok('adapter')),
    ...tokenizerJsons.map((json, i) => Promise.resolve().then(() => Tokenizer.fromJSON(text(json)).encode(SAMPLE) && null).catch(refuse).then(ok(`tokenizer ${i}`))),
  ]);
  return results.flat();
}
