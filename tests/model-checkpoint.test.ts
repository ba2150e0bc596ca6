// Model folders in the layouts users bring: a sharded checkpoint with an index (F32, F16 and BF16 shards),
// generation_config.json, browser File lists, config/weight mismatches, and the architecture switches of
// config.json exercised on the llama-bone fixture weights (mistral's sliding window, qwen2's q/k/v biases).
// Reference backend only: what is tested here does not depend on the kernels (tests/model.test.ts runs the
// fixture models on every backend).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../runtime/safetensors.js';
import { readSafetensors, toFloat32, toInt32 } from '../runtime/safetensors.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { loadModel } from '../runtime/model/checkpoint.js';
import { type FileSource, filesFromList, filesFromMap } from '../runtime/model/files.js';
import { fixtureFloat, fixturesDir, loadFixture, relError } from './helpers.js';
import { MODEL_REL } from './tolerances.js';

const ck = suite('model checkpoints');
const modelDir = join(fixturesDir, 'llama-bone', 'model');
const baseConfig = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
const weights = readSafetensors(new Uint8Array(readFileSync(join(modelDir, 'model.safetensors'))));
const ref = loadFixture('llama-bone/reference.safetensors');
const ids = toInt32(ref.tensors.get('input_ids')!);
const baseLogits = fixtureFloat(ref, 'base_logits');

interface Raw { dtype: DType; shape: number[]; bytes: Uint8Array }

/** safetensors bytes for tensors already encoded in any dtype. */
function encode(tensors: Record<string, Raw>): Uint8Array {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.bytes.byteLength] };
    at += t.bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let p = 8 + json.byteLength;
  for (const t of Object.values(tensors)) { out.set(t.bytes, p); p += t.bytes.byteLength; }
  return out;
}

/** bfloat16 (truncated float32) and float16 (round to nearest; normal range, tiny values to zero) encodings. */
function lowPrecision(values: Float32Array, dtype: 'BF16' | 'F16'): Uint8Array {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'BF16') { out[i] = bits[i] >>> 16; continue; }
    const sign = (bits[i] >>> 16) & 0x8000, exp = ((bits[i] >>> 23) & 0xff) - 127 + 15;
    out[i] = exp <= 0 ? sign : sign | (exp << 10) + Math.round((bits[i] & 0x7fffff) / 0x2000);
  }
  return new Uint8Array(out.buffer);
}

const blob = (bytes: Uint8Array | string) => new Blob([typeof bytes === 'string' ? bytes : bytes.slice()]);
const folder = (files: Record<string, Uint8Array | string>): FileSource =>
  filesFromMap(new Map(Object.entries(files).map(([k, v]) => [k, blob(v)])), 'test model');
const singleFile = (config: Record<string, unknown>, file = readFileSync(join(modelDir, 'model.safetensors'))) =>
  folder({ 'config.json': JSON.stringify(config), 'model.safetensors': new Uint8Array(file) });

/** The promise must fail with a message matching `re`. */
async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: Error) => e);
  assert.ok(err, `expected an error matching ${re}`);
  assert.match(err!.message, re);
}

async function logitsOf(files: FileSource): Promise<Float32Array> {
  const { model } = await loadModel(new ReferenceBackend(), files);
  return model.backend.read(model.forward(ids, 2).logits);
}

ck('a sharded checkpoint with F32, BF16 and F16 shards loads each tensor converted to float32', async () => {
  const shards: Record<string, Record<string, Raw>> = { 'model-00001-of-00003.safetensors': {}, 'model-00002-of-00003.safetensors': {}, 'model-00003-of-00003.safetensors': {} };
  const dtypeOf = (name: string): DType => name.includes('layers.1.') ? (name.includes('mlp') ? 'F16' : 'BF16') : 'F32';
  const weightMap: Record<string, string> = {};
  for (const [name, t] of weights.tensors) {
    const dtype = dtypeOf(name);
    const file = Object.keys(shards)[['F32', 'BF16', 'F16'].indexOf(dtype)];
    shards[file][name] = { dtype, shape: t.shape, bytes: dtype === 'F32' ? t.bytes : lowPrecision(toFloat32(t), dtype as 'BF16' | 'F16') };
    weightMap[name] = file;
  }
  const files: Record<string, Uint8Array | string> = {
    'config.json': JSON.stringify(baseConfig),
    'generation_config.json': JSON.stringify({ bos_token_id: 1, eos_token_id: 2 }),
    'model.safetensors.index.json': JSON.stringify({ metadata: {}, weight_map: weightMap }),
  };
  for (const [f, tensors] of Object.entries(shards)) files[f] = encode(tensors);
  const { model, generation } = await loadModel(new ReferenceBackend(), folder(files));
  assert.equal(generation, { bos_token_id: 1, eos_token_id: 2 });
  for (const [path, linear] of model.linears) {
    const name = `${path}.weight`;
    const stored = readSafetensors(files[weightMap[name]] as Uint8Array).tensors.get(name)!;
    assert.equal(Array.from(await model.backend.read(linear.weight)), Array.from(toFloat32(stored)), `${name} (${stored.dtype})`);
  }
  // Layer 0 and the embedding are exact; layer 1 is rounded to 8 or 11 significant bits.
  const err = relError(await model.backend.read(model.forward(ids, 2).logits), baseLogits);
  assert.ok(err > 0 && err < 5e-2, `low-precision shards change the logits a little: ${err.toExponential(2)}`);
});

ck('browser File lists load like a folder on disk', async () => {
  const list = ['config.json', 'model.safetensors'].map((f) => new File([readFileSync(join(modelDir, f))], f));
  const err = relError(await logitsOf(filesFromList(list)), baseLogits);
  assert.ok(err <= MODEL_REL, `File[] logits rel err ${err.toExponential(2)}`);
});

ck('config and weights that do not belong together are rejected by tensor name', async () => {
  await rejects(loadModel(new ReferenceBackend(), singleFile({ ...baseConfig, intermediate_size: 128 })), /"model.layers.0.mlp.gate_proj.weight" is \[172,64\] but config.json implies \[128,64\]/);
  await rejects(loadModel(new ReferenceBackend(), singleFile({ ...baseConfig, tie_word_embeddings: false })), /lacks 1 tensor\(s\) this config needs, e.g. lm_head.weight/);
  await rejects(loadModel(new ReferenceBackend(), folder({ 'config.json': JSON.stringify(baseConfig) })), /has neither model.safetensors nor model.safetensors.index.json/);
  await rejects(loadModel(new ReferenceBackend(), singleFile({ ...baseConfig, rope_scaling: { rope_type: 'yarn', factor: 2 } })), /\[config\] unsupported: rope_scaling.rope_type="yarn"/);
});

ck('mistral: a sliding window >= the sequence changes nothing; a shorter one changes only later positions', async () => {
  const seq = ids.length / 2, vocab = baseConfig.vocab_size as number;
  const wide = await logitsOf(singleFile({ ...baseConfig, model_type: 'mistral', sliding_window: seq }));
  assert.ok(relError(wide, baseLogits) <= MODEL_REL, 'window = T is plain causal attention');
  const narrow = await logitsOf(singleFile({ ...baseConfig, model_type: 'mistral', sliding_window: 4 }));
  for (let b = 0; b < 2; b++) {
    const at = (x: Float32Array, t: number) => x.subarray((b * seq + t) * vocab, (b * seq + t + 1) * vocab);
    for (let t = 0; t < seq; t++) {
      const err = relError(at(narrow, t), at(baseLogits, t));
      if (t < 4) assert.ok(err <= MODEL_REL, `position ${t} sees its whole prefix`);
      else assert.ok(err > 1e-3, `position ${t} sees only 4 tokens, so its logits change (${err.toExponential(2)})`);
    }
  }
});

ck('qwen2: q/k/v biases are required and added', async () => {
  const config = { ...baseConfig, model_type: 'qwen2' };
  await rejects(loadModel(new ReferenceBackend(), singleFile(config)), /lacks 6 tensor\(s\).*self_attn.q_proj.bias/);
  const tensors: Record<string, Raw> = {};
  for (const [name, t] of weights.tensors) tensors[name] = t;
  const withBias = (value: number) => {
    for (let l = 0; l < 2; l++) {
      for (const [p, out] of [['q_proj', 64], ['k_proj', 32], ['v_proj', 32]] as const) {
        tensors[`model.layers.${l}.self_attn.${p}.bias`] = { dtype: 'F32', shape: [out], bytes: new Uint8Array(new Float32Array(out).fill(p === 'v_proj' ? value : 0).buffer) };
      }
    }
    return singleFile(config, Buffer.from(encode(tensors)));
  };
  assert.ok(relError(await logitsOf(withBias(0)), baseLogits) <= MODEL_REL, 'zero biases: the llama logits');
  assert.ok(relError(await logitsOf(withBias(0.5)), baseLogits) > 1e-3, 'a v_proj bias changes the logits');
});

ck.run();
