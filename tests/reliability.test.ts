// The reliability cases of issue 10, one by one: each bad input that used to give a silent NaN, a hang, a
// wrapped number or an untyped JavaScript error is now an OsteonError naming its component, the file and the
// value, before any work; and an evaluation that turns non-finite names the first layer where it did.
// tests/fuzz.test.ts covers the same parsers with generated inputs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsteonError } from '../runtime/errors.js';
import { readSafetensors, writeSafetensors, toFloat32, type TensorToWrite } from '../runtime/safetensors.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { loadModel } from '../runtime/model/checkpoint.js';
import { checkModelFits } from '../runtime/model/fits.js';
import { parseModelConfig } from '../runtime/model/config.js';
import { filesFromMap } from '../runtime/model/files.js';
import { loadAdapter } from '../runtime/peft/adapter.js';
import { parsePeftConfig } from '../runtime/peft/config.js';
import { examplesFromJsonl, toBatches } from '../runtime/train/data.js';
import { evaluate } from '../runtime/train/trainer.js';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { fixturesDir } from './helpers.js';

const test = suite('reliability');
const dir = join(fixturesDir, 'llama-bone');
const configText = readFileSync(join(dir, 'model', 'config.json'), 'utf8');
const config = JSON.parse(configText) as Record<string, unknown>;
const weights = new Uint8Array(readFileSync(join(dir, 'model', 'model.safetensors')));
const encode = (s: string) => new TextEncoder().encode(s);
const model = (files: Record<string, Uint8Array | string>) =>
  filesFromMap(new Map(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? encode(v) : v])), '/m');

/** The error `run` throws, checked to be an OsteonError of `component` about `file`, matching `pattern`. */
async function refused(run: () => unknown, component: string, file: string, pattern: RegExp): Promise<OsteonError> {
  try {
    await run();
  } catch (e) {
    if (!(e instanceof OsteonError)) throw new Error(`expected an OsteonError, got ${(e as Error).stack}`);
    assert.is(e.component, component, e.message);
    assert.ok(file ? e.file?.endsWith(file) : e.file === undefined, `file ${e.file} should end with ${file}: ${e.message}`);
    assert.match(e.message, pattern, e.message);
    assert.ok(e.message.startsWith(`[${component}] `), e.message);
    return e;
  }
  throw new Error(`expected [${component}] ${pattern}, but it succeeded`);
}

/** safetensors bytes with the given header entries over the given data. */
function rawSafetensors(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('config.json: null, non-objects and invalid JSON are typed errors naming the file', async () => {
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': 'null', 'model.safetensors': weights })), 'config', '/m/config.json', /must hold a JSON object, not null/);
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': '[1]', 'model.safetensors': weights })), 'config', '/m/config.json', /JSON object/);
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': '{"model_type":', 'model.safetensors': weights })), 'config', '/m/config.json', /not valid JSON/);
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': new Uint8Array([0x7b, 0xff, 0x7d]), 'model.safetensors': weights })), 'config', '/m/config.json', /byte 1 \(0xff\) is not valid UTF-8/);
});

test('config.json: values that gave NaN losses are refused with the field and value', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ rope_theta: 0 }, /rope_theta=0 must be a number > 0/],
    [{ rope_theta: -10000 }, /rope_theta=-10000 must be a number > 0/],
    [{ rms_norm_eps: -1e-5 }, /rms_norm_eps=-0.00001 must be a number >= 0/],
    [{ rope_scaling: { rope_type: 'linear', factor: 0 } }, /rope_scaling.factor=0 must be a number > 0/],
    [{ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 4, high_freq_factor: 4, original_max_position_embeddings: 64 } }, /high_freq_factor=4 must be above low_freq_factor=4/],
    [{ rope_scaling: 'linear' }, /rope_scaling="linear" must be an object/],
    [{ tie_word_embeddings: 'yes' }, /tie_word_embeddings="yes" must be true or false/],
    [{ hidden_size: 64.5 }, /hidden_size=64.5 must be a positive integer/],
    [{ vocab_size: 2 ** 53 + 2 }, /vocab_size=9007199254740994 must be a positive integer/],
    [{ eos_token_id: 300 }, /eos_token_id=300 must be a token id .* in 0..299/],
    [{ model_type: 'qwen2', use_sliding_window: true, sliding_window: 4, layer_types: ['full_attention'] }, /layer_types=\["full_attention"\] must list one type per layer \(num_hidden_layers=2\)/],
  ];
  for (const [change, pattern] of cases) {
    await refused(() => parseModelConfig({ ...config, ...change }, '/m/config.json'), 'config', '/m/config.json', pattern);
  }
  // The existing message form stays: "[config] unsupported: <field>=<value>".
  await refused(() => parseModelConfig({ ...config, model_type: 'gpt2' }), 'config', 'config.json', /^\[config\] unsupported: model_type="gpt2"/);
});

test('config.json: a size no backend holds is refused at once, with the size, instead of hanging', async () => {
  const started = Date.now();
  await refused(() => parseModelConfig({ ...config, num_hidden_layers: 1e9 }), 'config', 'config.json', /num_hidden_layers=1000000000 is more than any model osteon can run/);
  await refused(() => parseModelConfig({ ...config, head_dim: 2 ** 40 }), 'config', 'config.json', /head_dim=1099511627776 is more than any model osteon can run/);
  await refused(() => parseModelConfig({ ...config, vocab_size: 2 ** 30 }), 'config', 'config.json', /embed_tokens .* would hold 6.87e\+10 values \(256.0 GiB as float32\), more than one tensor can hold/);
  await refused(() => parseModelConfig({ ...config, hidden_size: 1, num_attention_heads: 1, num_key_value_heads: 1, head_dim: 2 ** 31 }), 'config', 'config.json', /head_dim=2147483648/);
  await refused(() => parseModelConfig({ ...config, num_hidden_layers: 4000, hidden_size: 65536, head_dim: 128, num_attention_heads: 512, num_key_value_heads: 512 }), 'config', 'config.json', /the model would have .* weights \(.* TiB as float32/);
  assert.ok(Date.now() - started < 1000, 'size checks must not build per-layer tables first');
  // A model that fits the format but not the wasm backend's 4 GiB is refused before any tensor is read.
  const big = parseModelConfig({ ...config, vocab_size: 128256, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128 });
  const wasm = { name: 'wasm', info: { name: 'wasm', device: '', details: {} } } as const;
  await refused(() => checkModelFits(big, wasm, '/m/config.json', false), 'checkpoint', '/m/config.json', /need 28.0 GiB as float32, more than the wasm backend's 4 GiB .* use the webgpu backend \(--backend webgpu\)/);
  // bf16 checkpoints keep 2-byte matrices on wasm: a 1 B model fits, a 3 B one (Llama-3.2-3B) is refused with its size.
  const llama = { ...config, torch_dtype: 'bfloat16', vocab_size: 128256, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64 };
  checkModelFits(parseModelConfig({ ...llama, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16 }), wasm, '/m/config.json', undefined);
  await refused(() => checkModelFits(parseModelConfig({ ...llama, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 28, num_attention_heads: 24, head_dim: 128 }), wasm, '/m/config.json', undefined),
    'checkpoint', '/m/config.json', /3.21 B weights need 6.0 GiB with float16 matrices, more than the wasm backend's 4 GiB .* use the webgpu backend/);
  // WebGPU: every tensor in one buffer of maxBufferSize, float16 matrices whatever their size. Llama-3.2-1B's
  // [128256, 2048] embedding takes 501 MiB in float16 and 1002 MiB as float32.
  const gpuInfo = (maxBufferSize: number, f16: boolean) =>
    ({ name: 'webgpu', info: { name: 'webgpu', device: '', details: { maxBufferSize, maxStorageBufferBindingSize: 128 << 20, 'shader-f16': f16 } } }) as const;
  const oneB = parseModelConfig({ ...llama, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16 });
  checkModelFits(oneB, gpuInfo(768 << 20, true), '/m/config.json', undefined);
  await refused(() => checkModelFits(oneB, gpuInfo(256 << 20, true), '/m/config.json', undefined), 'checkpoint', '/m/config.json',
    /model\.embed_tokens\.weight \[128256,2048\] takes 501\.0 MiB in float16, more than this GPU's largest buffer \(maxBufferSize 256\.0 MiB\).*need 2\.3 GiB in all\); use the wasm backend \(--backend wasm\), use a device with larger buffers, or a smaller model$/);
  await refused(() => checkModelFits(oneB, gpuInfo(768 << 20, true), '/m/config.json', false), 'checkpoint', '/m/config.json',
    /takes 1002\.0 MiB as float32, .*; leave half weights on \(float16 halves it\), use a device with larger buffers/);
  await refused(() => checkModelFits(oneB, gpuInfo(768 << 20, false), '/m/config.json', undefined), 'checkpoint', '/m/config.json',
    /takes 1002\.0 MiB as float32, .*; use the wasm backend/);
});

test('adapter_config.json: invalid JSON, null and wrong types are typed errors naming the file', async () => {
  const loaded = await loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors': weights }));
  const adapterWeights = new Uint8Array(readFileSync(join(dir, 'adapter', 'adapter_model.safetensors')));
  const adapter = (text: string) => filesFromMap(new Map([['adapter_config.json', encode(text)], ['adapter_model.safetensors', adapterWeights]]), '/a');
  await refused(() => loadAdapter(loaded.model, adapter('null')), 'peft', '/a/adapter_config.json', /must hold a JSON object, not null/);
  await refused(() => loadAdapter(loaded.model, adapter('{"peft_type": "MISS", ')), 'peft', '/a/adapter_config.json', /not valid JSON/);
  await refused(() => loadAdapter(loaded.model, adapter('{"peft_type": "MISS", "r": "16"}')), 'peft', '/a/adapter_config.json', /r="16" must be a positive integer/);
  await refused(() => loadAdapter(loaded.model, adapter('{"peft_type": "MISS", "r": 16, "target_modules": ["nothing"]}')), 'peft', '/a/adapter_config.json', /target_modules=\["nothing"\] matches no linear layer/);
  await refused(() => parsePeftConfig(null as unknown as Record<string, unknown>), 'peft', 'adapter_config.json', /not null/);
});

test('sharded index: a missing shard and bad names are typed errors naming the shard', async () => {
  const file = readSafetensors(weights);
  const tensors: Record<string, TensorToWrite> = {};
  for (const t of file.tensors.values()) tensors[t.name] = { dtype: 'F32', shape: t.shape, data: toFloat32(t) };
  const index = (map: Record<string, unknown>) => JSON.stringify({ weight_map: map });
  const all = Object.fromEntries([...file.tensors.keys()].map((n) => [n, 'model-00001-of-00001.safetensors']));
  const shard = writeSafetensors(tensors);
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors.index.json': index({ ...all, 'model.norm.weight': 'model-00002-of-00002.safetensors' }), 'model-00001-of-00001.safetensors': shard })),
    'checkpoint', '/m/model-00002-of-00002.safetensors', /\/m has no model-00002-of-00002.safetensors, which model.safetensors.index.json names as a shard/);
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors.index.json': index({ ...all, 'model.norm.weight': '../../etc/passwd' }), 'model-00001-of-00001.safetensors': shard })),
    'checkpoint', 'model.safetensors.index.json', /weight_map\["model.norm.weight"\]="..\/..\/etc\/passwd" must be the file name of a .safetensors shard/);
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors.index.json': 'null', 'model-00001-of-00001.safetensors': shard })),
    'checkpoint', 'model.safetensors.index.json', /must hold a JSON object/);
  const loaded = await loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors.index.json': index(all), 'model-00001-of-00001.safetensors': shard }));
  assert.is(loaded.model.namedWeights().size, file.tensors.size);
});

test('safetensors: offsets must cover the data exactly and be exact integers, in memory and streamed', async () => {
  const f32 = (n: number) => new Uint8Array(new Float32Array(n).fill(1).buffer);
  const cases: [Record<string, unknown>, Uint8Array, RegExp][] = [
    [{ a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3), /data bytes 0-4 before the first tensor "a" belong to no tensor/],
    [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(3), /4 byte\(s\) follow the last tensor/],
    [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, f32(4), /data bytes 8-12 between tensors "a" and "b" belong to no tensor/],
    [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3), /tensors "a" and "b" overlap/],
    [{ a: { dtype: 'F32', shape: [1], data_offsets: [2 ** 53 + 8, 2 ** 53 + 12] } }, f32(1), /bad data_offsets .* < 2\^53/],
    [{ a: { dtype: 'F32', shape: [1], data_offsets: [2 ** 40, 2 ** 40 + 4] } }, f32(1), /ends at byte|before the first tensor/],
  ];
  for (const [header, data, pattern] of cases) {
    const bytes = rawSafetensors(header, data);
    await refused(() => readSafetensors(bytes, '/x/model.safetensors'), 'safetensors', '/x/model.safetensors', pattern);
  }
  // The streaming loader checks the same without reading the whole file: bytes after the last tensor.
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors': Uint8Array.from([...weights, 0, 0, 0, 0]) })),
    'safetensors', '/m/model.safetensors', /bytes follow the last tensor/);
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors': weights.subarray(0, weights.length - 4) })),
    'safetensors', '/m/model.safetensors', /truncated/);
});

test('weights holding NaN or Inf are refused at load, naming the tensor and the count', async () => {
  const file = readSafetensors(weights);
  const tensors: Record<string, TensorToWrite> = {};
  for (const t of file.tensors.values()) tensors[t.name] = { dtype: 'F32', shape: t.shape, data: toFloat32(t) };
  const norm = tensors['model.layers.1.post_attention_layernorm.weight'].data as Float32Array;
  norm[3] = NaN; norm[5] = Infinity; norm[7] = -Infinity;
  await refused(() => loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors': writeSafetensors(tensors) })),
    'checkpoint', '/m/model.safetensors', /"model.layers.1.post_attention_layernorm.weight" holds 3 NaN or infinite value\(s\) of 64/);
  // An adapter too.
  const loaded = await loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors': weights }));
  const adapterFile = readSafetensors(new Uint8Array(readFileSync(join(dir, 'adapter', 'adapter_model.safetensors'))));
  const adapterTensors: Record<string, TensorToWrite> = {};
  for (const t of adapterFile.tensors.values()) adapterTensors[t.name] = { dtype: 'F32', shape: t.shape, data: toFloat32(t) };
  const block = 'base_model.model.model.layers.0.mlp.up_proj.miss_block';
  (adapterTensors[block].data as Float32Array)[0] = NaN;
  const adapter = filesFromMap(new Map([['adapter_config.json', readFileSync(join(dir, 'adapter', 'adapter_config.json'))], ['adapter_model.safetensors', writeSafetensors(adapterTensors)]]), '/a');
  await refused(() => loadAdapter(loaded.model, adapter), 'peft', '/a/adapter_model.safetensors', new RegExp(`${block} holds 1 NaN or infinite value`));
});

test('data rows: ids and labels must be integers in the vocabulary; file, line and field are named', async () => {
  const rows = (...lines: string[]) => encode(lines.join('\n'));
  const ok = '{"input_ids": [1, 2, 3]}';
  await refused(() => examplesFromJsonl(rows(ok, `{"input_ids": [1, ${2 ** 32 + 5}, 3]}`), null, '/d/train.jsonl', 2, 300), 'data', '/d/train.jsonl', /^\[data\] \/d\/train.jsonl:2: "input_ids"\[1\]=4294967301 must be a token id in 0..299/);
  await refused(() => examplesFromJsonl(rows(ok, ok, '{"input_ids": [1, 2], "labels": [-100, 300]}'), null, '/d/train.jsonl', 2, 300), 'data', '/d/train.jsonl', /:3: "labels"\[1\]=300 must be a token id in 0..299 .* or -100/);
  await refused(() => examplesFromJsonl(rows('{"input_ids": [1, -100]}'), null, '/d/train.jsonl', 2, 300), 'data', '/d/train.jsonl', /:1: "input_ids"\[1\]=-100/);
  await refused(() => examplesFromJsonl(rows('{"input_ids": [1.5]}'), null, '/d/train.jsonl'), 'data', '/d/train.jsonl', /"input_ids"\[0\]=1.5 must be a token id \(0 to 2\^31-1\)/);
  // Without the vocabulary the ids must still fit int32: 2^32 + 5 never wraps to 5.
  await refused(() => examplesFromJsonl(rows(`{"input_ids": [${2 ** 32 + 5}]}`), null, '/d/train.jsonl'), 'data', '/d/train.jsonl', /4294967301/);
  // Non-UTF-8 bytes are refused with the line and byte offset instead of becoming U+FFFD.
  const bytes = Uint8Array.from([...encode(`${ok}\n{"text": "caf`), 0xe9, ...encode('"}')]);
  await refused(() => examplesFromJsonl(bytes, null, '/d/train.jsonl'), 'data', '/d/train.jsonl', /:2: byte 38 \(0xe9\) is not valid UTF-8; save the file as UTF-8/);
  assert.equal([...examplesFromJsonl(rows(ok, '{"input_ids": [4, 5], "labels": [-100, 5]}'), null, 'ok.jsonl', 2, 300)[1].labels], [-100, 5]);
});

test('tokenizer.json with bytes that are not UTF-8 is refused with the byte offset, not read as U+FFFD', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'osteon-tokenizer-'));
  const file = join(folder, 'tokenizer.json');
  writeFileSync(file, Uint8Array.from([...encode('{"version": "1.0",\n "x": "'), 0xc0, 0x80, ...encode('"}')]));
  try {
    await refused(() => Tokenizer.fromFile(file), 'tokenizer', file, /tokenizer.json:2: byte 26 \(0xc0\) is not valid UTF-8/);
  } finally {
    rmSync(folder, { recursive: true });
  }
});

test('an evaluation whose loss is not finite names the first layer where values became non-finite', async () => {
  const loaded = await loadModel(new ReferenceBackend(), model({ 'config.json': configText, 'model.safetensors': weights }));
  const batches = toBatches(examplesFromJsonl('{"input_ids": [1, 2, 3, 4, 5, 6]}', null, 'eval.jsonl', 2, 300), 1);
  const finite = await evaluate(loaded.model, batches);
  assert.ok(Number.isFinite(finite.loss));
  const down = loaded.model.namedWeights().get('model.layers.1.mlp.down_proj.weight')!;
  loaded.model.backend.write(down, new Float32Array(down.size).fill(3e38)); // overflows float32 in layer 1 only
  await refused(() => evaluate(loaded.model, batches), 'eval', '', /the loss of batch 1 is NaN: values first become NaN or infinite in model.layers.1;/);
});

test.run();
