// Half-precision base weights on WebGPU (Backend.weight, loadModel's halfWeights): the llama-bone and
// llama-bat fixtures loaded with float16 weights against the float32 PEFT reference (logits, loss, every
// adapter gradient, merge/unmerge), the weights' real storage size, float16 conversions, the clear error
// of an op that cannot read float16, and the float32 fallbacks (halfWeights off, a weight over one binding).
// Skipped visibly without a WebGPU adapter with shader-f16 (tests/helpers.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadModel } from '../runtime/model/checkpoint.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { loadAdapter, peftKey } from '../runtime/peft/adapter.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { toInt32 } from '../runtime/safetensors.js';
import { type WebGPUBackend, createWebGPUBackend } from '../gpu/backend.js';
import { F32_REL, HALF_REL } from './tolerances.js';
import { fixtureFloat, fixturesDir, loadFixture, randomArray, relError, testBackends } from './helpers.js';

const half = suite('half-precision weights');
let gpu: WebGPUBackend | undefined;
half.before(async () => {
  gpu = (await testBackends()).find((b) => b.name === 'webgpu') as WebGPUBackend | undefined;
  if (!gpu || !gpu.ctx.hasF16) {
    console.warn('skipped: no WebGPU adapter with shader-f16 (tests/half.test.ts)');
    gpu = undefined;
  }
});

async function fixture(b: WebGPUBackend, name: string, halfWeights = true) {
  const { model } = await loadModel(b, nodeFiles(join(fixturesDir, name, 'model')), { halfWeights });
  const adapter = await loadAdapter(model, nodeFiles(join(fixturesDir, name, 'adapter')));
  const ref = loadFixture(`${name}/reference.safetensors`);
  return { model, adapter, ref, ids: toInt32(ref.tensors.get('input_ids')!), labels: toInt32(ref.tensors.get('labels')!),
    batch: ref.tensors.get('input_ids')!.shape[0] };
}

/** The tensor's GPU buffer size in bytes (the backend's own record of its storage). */
const bytesOf = (t: unknown) => (t as { buffer: GPUBuffer }).buffer.size;

function within(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>) {
  const err = relError(actual, expected);
  assert.ok(err <= HALF_REL, `${what}: rel err ${err.toExponential(2)} > ${HALF_REL}`);
}

half('weight(): 2 bytes per element, values rounded to float16, copy/write convert both ways', async () => {
  if (!gpu) return;
  const n = 37; // odd: the last word holds one element
  const data = randomArray(n, 7).map((v) => v * 300);
  const w = gpu.weight([n], data, 'w16');
  assert.is(w.dtype, 'float16');
  assert.is(bytesOf(w), Math.ceil((n * 2) / 16) * 16);
  const back = await gpu.read(w);
  const err = relError(back, data);
  assert.ok(err > 0 && err <= 2 ** -11, `float16 rounding ${err.toExponential(2)} (0 would mean not stored as float16)`);
  const wide = gpu.tensor([n], undefined, 'wide');
  gpu.copy(w, wide);
  assert.equal([...await gpu.read(wide)], [...back]);
  gpu.write(w, new Float32Array(n).fill(0.5));
  assert.equal([...await gpu.read(w)], new Array(n).fill(0.5));
  for (const t of [w, wide]) gpu.dispose(t);
});

half('float16 matmul operands (every transpose, unaligned shapes), float16 C and embedding rows match float32', async () => {
  if (!gpu) return;
  const ref = new ReferenceBackend();
  // Odd sizes: float16 elements start in the middle of u32 words and vec4 runs are unaligned.
  const [m, k, n] = [3, 7, 5];
  for (const transA of [false, true]) for (const transB of [false, true]) for (const halfA of [false, true]) {
    const aShape = transA ? [k, m] : [m, k], bShape = transB ? [n, k] : [k, n];
    const a = halfA ? gpu.weight(aShape, randomArray(m * k, 1), 'a16') : gpu.tensor(aShape, randomArray(m * k, 1), 'a');
    const b = gpu.weight(bShape, randomArray(k * n, 2), 'b16');
    const c = gpu.tensor([m, n]);
    gpu.matmul(a, b, c, { transA, transB });
    const expected = ref.tensor([m, n]);
    ref.matmul(ref.tensor(aShape, await gpu.read(a)), ref.tensor(bShape, await gpu.read(b)), expected, { transA, transB });
    const err = relError(await gpu.read(c), await ref.read(expected));
    assert.ok(err <= F32_REL, `transA=${transA} transB=${transB} halfA=${halfA}: ${err.toExponential(2)}`);
    for (const t of [a, b, c]) gpu.dispose(t);
  }
  // LoRA's merge: a float16 C accumulates in float32 and is rounded back to float16.
  const w = gpu.weight([m, n], randomArray(m * n, 3), 'w16');
  const w0 = await gpu.read(w);
  const x = randomArray(m * k, 4), y = randomArray(k * n, 5);
  gpu.matmul(gpu.tensor([m, k], x), gpu.tensor([k, n], y), w, { accumulate: true, alpha: 0.5 });
  assert.is(w.dtype, 'float16');
  const expected = ref.tensor([m, n], w0);
  ref.matmul(ref.tensor([m, k], x), ref.tensor([k, n], y), expected, { accumulate: true, alpha: 0.5 });
  const err = relError(await gpu.read(w), await ref.read(expected));
  assert.ok(err <= 2 ** -11, `float16 C: ${err.toExponential(2)} (one float16 rounding at most)`);
  // Embedding rows from a float16 table of odd width are the table's own values.
  const [vocab, width] = [6, 5];
  const table = gpu.weight([vocab, width], randomArray(vocab * width, 6), 'table16');
  const out = gpu.tensor([3, width]);
  const ids = Int32Array.from([5, 0, 3]);
  gpu.embedding(ids, table, out);
  const rows = await gpu.read(table);
  assert.equal([...await gpu.read(out)], [...ids].flatMap((id) => [...rows.subarray(id * width, (id + 1) * width)]));
});

half('an op that cannot read float16 names the tensor and the way out', async () => {
  if (!gpu) return;
  const w = gpu.weight([2, 4], randomArray(8, 3), 'frozen.weight');
  const y = gpu.tensor([2, 4]);
  assert.throws(() => gpu!.tile(gpu!.weight([4], randomArray(4, 4), 'bias16'), y), /is stored as float16/);
  assert.throws(() => gpu!.blockAffine(gpu!.tensor([2, 4]), gpu!.tensor([1, 2, 2]), gpu!.tensor([1, 2, 2]), w),
    /\[blockAffine\] frozen\.weight is stored as float16.*halfWeights: false/);
  gpu.dispose(w);
  gpu.dispose(y);
});

half('a weight whose float32 form exceeds one binding stays float32 (row windows need float32)', async () => {
  if (!gpu) return;
  const small = await createWebGPUBackend({ maxBindingBytes: 1024 });
  try {
    assert.is(small!.weight([16, 16], randomArray(256, 5), 'fits').dtype, 'float16');
    const big = small!.weight([16, 17], randomArray(272, 6), 'too wide');
    assert.is(big.dtype, 'float32');
    assert.equal([...await small!.read(big)], [...randomArray(272, 6)]);
  } finally {
    small!.destroy();
  }
});

for (const name of ['llama-bone', 'llama-bat']) {
  half(`${name}: float16 weights give logits, loss and adapter gradients within HALF_REL, merge/unmerge too`, async () => {
    if (!gpu) return;
    const f = await fixture(gpu, name);
    const weights = [...f.model.namedWeights().entries()].filter(([, t]) => t.shape.length === 2);
    for (const [key, t] of weights) {
      assert.is(t.dtype, 'float16', key);
      assert.is(bytesOf(t), Math.ceil((t.size * 2) / 16) * 16, `${key}: 2 bytes per element`);
    }
    const adapted = await gpu.read(f.model.forward(f.ids, f.batch).logits);
    within('logits', adapted, fixtureFloat(f.ref, 'logits'));
    within('loss', [await f.model.forwardLoss(f.ids, f.labels, f.batch, true)], fixtureFloat(f.ref, 'loss'));
    for (const [path, layer] of f.adapter.layers) {
      within(`${path} grad`, await gpu.read(layer.grads.block), fixtureFloat(f.ref, `${peftKey(path, 'block')}.grad`));
    }
    f.model.merge();
    within('merged logits vs unmerged', await gpu.read(f.model.forward(f.ids, f.batch).logits), adapted);
    for (const [key, t] of weights) assert.is(t.dtype, 'float16', `${key} stays float16 after merge`);
    await f.model.unmerge();
    f.model.setAdaptersEnabled(false);
    within('unmerged base logits', await gpu.read(f.model.forward(f.ids, f.batch).logits), fixtureFloat(f.ref, 'base_logits'));
  });
}

half('halfWeights: false keeps float32 weights (the path of a device without shader-f16)', async () => {
  if (!gpu) return;
  const f16 = await fixture(gpu, 'llama-bone');
  const f32 = await fixture(gpu, 'llama-bone', false);
  let bytes16 = 0, bytes32 = 0;
  for (const [key, t] of f32.model.namedWeights()) {
    assert.is(t.dtype, 'float32', key);
    bytes32 += bytesOf(t);
    bytes16 += bytesOf(f16.model.namedWeights().get(key)!);
  }
  console.log(`llama-bone weights: ${bytes32} bytes as float32, ${bytes16} bytes with half weights`);
  assert.ok(bytes16 < 0.6 * bytes32, `${bytes16} vs ${bytes32}`);
  const { logits } = f32.model.forward(f32.ids, f32.batch);
  const ref32 = await gpu.read(logits);
  within('float32 logits', ref32, fixtureFloat(f32.ref, 'logits'));
  const h = await gpu.read(f16.model.forward(f16.ids, f16.batch).logits);
  console.log(`llama-bone logits, float16 vs float32 weights: rel err ${relError(h, ref32).toExponential(2)}`);
});

half.run();
