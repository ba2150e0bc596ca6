// PEFT adapter folders on a whole model: load -> save -> load is bit-exact with every config field kept,
// legacy BONE files load as MiSS, LoRA adapters round-trip, target selection follows PEFT's rules, and
// files that do not fit the model fail with the key, the shapes and the likely cause.
// Reference backend only: what is tested here does not depend on the kernels (tests/model.test.ts runs the
// fixture models on every backend).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { loadModel } from '../runtime/model/checkpoint.js';
import { type FileSource, filesFromMap } from '../runtime/model/files.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { CONFIG_FILE, WEIGHTS_FILE, attachAdapter, loadAdapter, saveAdapter } from '../runtime/peft/adapter.js';
import { type TargetRules, newPeftConfig, parsePeftConfig } from '../runtime/peft/config.js';
import { isTargeted } from '../runtime/peft/targets.js';
import { readSafetensors, toInt32, writeSafetensors, type TensorToWrite, toFloat32 } from '../runtime/safetensors.js';
import { MODEL_REL } from './tolerances.js';
import { fixtureFloat, fixturesDir, loadFixture, randomArray, relError } from './helpers.js';

const peft = suite('peft files');

const modelFiles = (name: string) => nodeFiles(join(fixturesDir, name, 'model'));
const adapterPath = (name: string, file: string) => join(fixturesDir, name, 'adapter', file);
const freshModel = async (name: string) => (await loadModel(new ReferenceBackend(), modelFiles(name))).model;

/** An adapter folder in memory, from file bytes (as saveAdapter returns them). */
const inMemory = (files: Record<string, Uint8Array>): FileSource => filesFromMap(new Map(Object.entries(files)), 'in-memory adapter');
/** An adapter folder in memory: the given config object and safetensors bytes. */
const folder = (config: Record<string, unknown>, weights: Uint8Array) =>
  inMemory({ [CONFIG_FILE]: new TextEncoder().encode(JSON.stringify(config)), [WEIGHTS_FILE]: weights });
const fixtureConfig = (name: string) => JSON.parse(readFileSync(adapterPath(name, CONFIG_FILE), 'utf8')) as Record<string, unknown>;
const fixtureWeights = (name: string) => new Uint8Array(readFileSync(adapterPath(name, WEIGHTS_FILE)));

function sameTensors(a: Uint8Array, b: Uint8Array, what: string) {
  const fa = readSafetensors(a), fb = readSafetensors(b);
  assert.equal([...fa.tensors.keys()].sort(), [...fb.tensors.keys()].sort(), `${what}: same tensor names`);
  for (const [k, t] of fa.tensors) {
    const u = fb.tensors.get(k)!;
    assert.equal([t.dtype, t.shape], [u.dtype, u.shape], `${what}: ${k} dtype and shape`);
    assert.ok(Buffer.compare(t.bytes, u.bytes) === 0, `${what}: ${k} bytes differ`);
  }
}

for (const name of ['llama-bone', 'llama-bat']) {
  peft(`${name}: load -> save -> load is bit-exact and keeps every config field`, async () => {
    const m1 = await freshModel(name);
    const saved1 = await saveAdapter(m1, await loadAdapter(m1, nodeFiles(join(fixturesDir, name, 'adapter'))));
    sameTensors(saved1[WEIGHTS_FILE], fixtureWeights(name), 'first save vs the PEFT file');
    assert.equal(JSON.parse(new TextDecoder().decode(saved1[CONFIG_FILE])), fixtureConfig(name));

    const m2 = await freshModel(name);
    const saved2 = await saveAdapter(m2, await loadAdapter(m2, inMemory(saved1)));
    assert.ok(Buffer.compare(saved1[WEIGHTS_FILE], saved2[WEIGHTS_FILE]) === 0, 'second save is byte-identical to the first');
    assert.ok(Buffer.compare(saved1[CONFIG_FILE], saved2[CONFIG_FILE]) === 0, 'config text identical');
  });
}

peft('a legacy BONE adapter (bone_block keys) loads and computes the MiSS logits', async () => {
  const config = fixtureConfig('llama-bone');
  delete config.miss_dropout;
  delete config.mini_r;
  config.peft_type = 'BONE';
  const file = readSafetensors(fixtureWeights('llama-bone'));
  const renamed: Record<string, TensorToWrite> = {};
  for (const [k, t] of file.tensors) renamed[k.replace(/miss_block$/, 'bone_block')] = { dtype: 'F32', shape: t.shape, data: toFloat32(t) };
  const m = await freshModel('llama-bone');
  const adapter = await loadAdapter(m, folder(config, writeSafetensors(renamed)));
  assert.is(adapter.config.peftType, 'BONE');
  const ref = loadFixture('llama-bone/reference.safetensors');
  const { logits } = m.forward(toInt32(ref.tensors.get('input_ids')!), 2);
  const err = relError(await m.backend.read(logits), fixtureFloat(ref, 'logits'));
  assert.ok(err <= MODEL_REL, `BONE logits rel err ${err.toExponential(2)}`);
  const saved = await saveAdapter(m, adapter);
  const out = JSON.parse(new TextDecoder().decode(saved[CONFIG_FILE]));
  assert.is(out.peft_type, 'MISS', 'saved in the current format');
  assert.ok([...readSafetensors(saved[WEIGHTS_FILE]).tensors.keys()].every((k) => k.endsWith('.miss_block')));
});

peft('a LoRA adapter round-trips with PEFT key names', async () => {
  const m1 = await freshModel('llama-bat');
  const a1 = attachAdapter(m1, newPeftConfig({ variant: 'lora', r: 4, alpha: 8 }, ['q_proj', 'v_proj']), 'default', 7);
  assert.equal([...a1.layers.keys()], ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
  for (const layer of a1.layers.values()) m1.backend.write(layer.params.B, randomArray(layer.params.B.size, 3));
  const saved = await saveAdapter(m1, a1);
  const keys = [...readSafetensors(saved[WEIGHTS_FILE]).tensors.keys()];
  assert.ok(keys.includes('base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight'));
  assert.ok(keys.includes('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight'));
  const m2 = await freshModel('llama-bat');
  const a2 = await loadAdapter(m2, inMemory(saved));
  assert.is(a2.config.raw.lora_alpha, 8);
  sameTensors((await saveAdapter(m2, a2))[WEIGHTS_FILE], saved[WEIGHTS_FILE], 'LoRA reload');
});

peft('a bone adapter file with the wrong r is rejected naming the key, the shapes and the cause', async () => {
  const m = await freshModel('llama-bone');
  const config = { ...fixtureConfig('llama-bone'), r: 8 };
  try {
    await loadAdapter(m, folder(config, fixtureWeights('llama-bone')));
    assert.unreachable('should have thrown');
  } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, 'base_model.model.model.layers.0.self_attn.q_proj.miss_block is [16,64]');
    assert.match(msg, 'needs [8,64]');
    assert.match(msg, 'another r');
  }
  for (const linear of m.linears.values()) assert.is(linear.adapters.size, 0, 'nothing attached after a failed load');
});

peft('a second adapter needs its own name; with one it adds to the first', async () => {
  const m = await freshModel('llama-bone');
  const dir = nodeFiles(join(fixturesDir, 'llama-bone', 'adapter'));
  await loadAdapter(m, dir);
  const before = await m.backend.read(m.forward(Int32Array.from([1, 2, 3]), 1).logits);
  const err = await loadAdapter(m, dir).then(() => null, (e: Error) => e);
  assert.match(err!.message, 'already has an adapter named "default"');
  for (const linear of m.linears.values()) assert.is(linear.adapters.size, 1, 'nothing attached by the failed load');
  await loadAdapter(m, dir, 'second');
  const after = await m.backend.read(m.forward(Int32Array.from([1, 2, 3]), 1).logits);
  assert.ok(relError(after, before) > 1e-3, 'both Bone adapters are active');
});

peft('unsupported adapter options are rejected by name', () => {
  const base = fixtureConfig('llama-bone');
  assert.throws(() => parsePeftConfig({ ...base, bias: 'all' }), /\[peft\] unsupported: bias="all"/);
  assert.throws(() => parsePeftConfig({ ...base, peft_type: 'IA3' }), /unsupported: peft_type="IA3"/);
  assert.throws(() => parsePeftConfig({ ...base, modules_to_save: ['lm_head'] }), /unsupported: modules_to_save/);
  assert.throws(() => parsePeftConfig({ peft_type: 'LORA', r: 4, lora_alpha: 8, use_dora: true }), /unsupported: use_dora=true/);
});

peft('target selection follows PEFT: suffix list, regex full match, all-linear, exclude, layers_to_transform', async () => {
  const m = await freshModel('llama-bone');
  const linear = [...m.linears.keys(), 'lm_head'];
  const chosen = (rules: Partial<TargetRules>) => linear.filter((k) => isTargeted(
    { targetModules: null, excludeModules: null, layersToTransform: null, layersPattern: null, ...rules }, k, linear));
  const short = (list: string[]) => list.map((k) => k.replace('model.layers.', '').replace(/self_attn\.|mlp\./, ''));
  assert.equal(short(chosen({})), ['0.q_proj', '0.v_proj', '1.q_proj', '1.v_proj'], 'default: q_proj, v_proj');
  assert.equal(chosen({ targetModules: 'all-linear' }).length, 14, 'all-linear: every projection, not lm_head');
  assert.equal(short(chosen({ targetModules: '.*\\.1\\.mlp\\.(gate|up)_proj' })), ['1.gate_proj', '1.up_proj']);
  assert.equal(chosen({ targetModules: 'q_proj' }), [], 'a regex must match the whole path');
  assert.equal(short(chosen({ targetModules: ['o_proj'], layersToTransform: 1 })), ['1.o_proj']);
  assert.equal(short(chosen({ targetModules: ['o_proj'], layersToTransform: [0], layersPattern: 'layers' })), ['0.o_proj']);
  assert.equal(short(chosen({ targetModules: ['o_proj'], layersToTransform: [0], layersPattern: 'blocks' })), [], 'pattern not in the path');
  // PEFT resolves "all-linear" to full module paths, and an exact path match skips the layer filter, so
  // layers_to_transform has no effect there (the files PEFT writes hold every layer).
  assert.equal(short(chosen({ targetModules: 'all-linear', excludeModules: ['mlp.down_proj', 'k_proj'], layersToTransform: [1] })),
    ['0.q_proj', '0.v_proj', '0.o_proj', '0.gate_proj', '0.up_proj', '1.q_proj', '1.v_proj', '1.o_proj', '1.gate_proj', '1.up_proj']);
  assert.equal(short(chosen({ targetModules: ['q_proj'], excludeModules: '.*\\.0\\..*' })), ['1.q_proj']);
  assert.throws(() => attachAdapter(m, newPeftConfig({ variant: 'bone', r: 4 }, ['lm_head'])), /lm_head/);
  assert.throws(() => attachAdapter(m, newPeftConfig({ variant: 'bone', r: 4 }, ['c_attn'])), /matches no linear layer/);
});

peft.run();
