// Half-precision base weights on WebAssembly and WebGPU (Backend.weight, loadModel's halfWeights): the
// llama-bone and llama-bat fixtures loaded with float16 weights against the float32 PEFT reference (logits,
// loss, every adapter gradient, merge/unmerge), the weights' real storage size, float16 conversions, the clear
// error of an op that cannot read float16, float16 weights over one storage binding (row windows, with a
// lowered binding limit), a model over maxBufferSize refused from its config.json, and the float32 fallbacks
// (halfWeights off, a value outside float16's range). The WebGPU half is skipped visibly without an adapter
// with shader-f16 (tests/helpers.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { AdaptedLinear } from '../runtime/adapters/linear.js';
import type { AdapterConfig } from '../runtime/adapters/config.js';
import { loadModel } from '../runtime/model/checkpoint.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { loadAdapter, peftKey } from '../runtime/peft/adapter.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { readFileSync } from 'node:fs';
import { filesFromMap } from '../runtime/model/files.js';
import { readSafetensors, toBfloat16, toFloat32, toInt32, writeSafetensors } from '../runtime/safetensors.js';
import { DEFAULT_TRAIN, type StepLog, Trainer } from '../runtime/train/trainer.js';
import type { Backend, Tensor } from '../runtime/backend.js';
import { halfBitsToFloat32 } from '../runtime/checked.js';
import { type WebGPUBackend, createWebGPUBackend } from '../gpu/backend.js';
import { F32_REL, HALF_REL } from './tolerances.js';
import { fixtureFloat, fixturesDir, loadFixture, randomArray, relError, testBackends } from './helpers.js';

const half = suite('half-precision weights');
/** The backends with half-precision weights: wasm always, WebGPU with shader-f16 (the adapter's own
 *  variants, and the backend with float16 arithmetic where tests/helpers.ts makes one). */
let backends: Backend[] = [];
let gpu: WebGPUBackend | undefined;
half.before(async () => {
  const all = await testBackends();
  gpu = all.find((b) => b.name === 'webgpu') as WebGPUBackend | undefined;
  if (!gpu || !gpu.ctx.hasF16) {
    console.warn('skipped: no WebGPU adapter with shader-f16 (tests/half.test.ts, WebGPU cases)');
    gpu = undefined;
  }
  const f16Math = all.find((b) => b !== gpu && halfMath(b) === 'f16');
  backends = all.filter((b) => b.name === 'wasm' || (gpu && (b === gpu || b === f16Math)));
});

const halfMath = (b: Backend) => (b.name === 'webgpu' ? (b as WebGPUBackend).ctx.variants.halfMath : 'f32');
/** A product with a float16 operand against the same values in float32: exact products summed in f32
 *  (F32_REL), or with float16 arithmetic, the other operand rounded to float16 too (HALF_REL). */
const productRel = (b: Backend) => (halfMath(b) === 'f16' ? HALF_REL : F32_REL);

async function fixture(b: Backend, name: string, halfWeights = true) {
  const { model } = await loadModel(b, nodeFiles(join(fixturesDir, name, 'model')), { halfWeights });
  const adapter = await loadAdapter(model, nodeFiles(join(fixturesDir, name, 'adapter')));
  const ref = loadFixture(`${name}/reference.safetensors`);
  return { model, adapter, ref, ids: toInt32(ref.tensors.get('input_ids')!), labels: toInt32(ref.tensors.get('labels')!),
    batch: ref.tensors.get('input_ids')!.shape[0] };
}

/** The tensor's storage in bytes, as the backend records it: the GPU buffer's size; on wasm the size of its
 *  block of linear memory, read from the allocator's header (asm/kernels/heap.ts: 64 bytes before the data,
 *  holding the block's size, header included). */
function bytesOf(b: Backend, t: Tensor): number {
  if (b.name === 'webgpu') return (t as unknown as { buffer: GPUBuffer }).buffer.size;
  const memory = (b as unknown as { k: { k: { memory: WebAssembly.Memory } } }).k.k.memory;
  return new Uint32Array(memory.buffer, (t as unknown as { ptr: number }).ptr - 64, 1)[0] - 64;
}
/** Storage size of `bytes` bytes of data: the GPU pads to 16 bytes, the wasm allocator to 64. */
const padded = (b: Backend, bytes: number) => b.name === 'webgpu' ? Math.ceil(bytes / 16) * 16 : Math.ceil(bytes / 64) * 64;

function within(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>) {
  const err = relError(actual, expected);
  assert.ok(err <= HALF_REL, `${what}: rel err ${err.toExponential(2)} > ${HALF_REL}`);
}

half('weight(): 2 bytes per element, values rounded to float16, copy/write convert both ways', async () => {
  for (const gpu of backends) {
    const n = 37; // odd: the last word holds one element
    const data = randomArray(n, 7).map((v) => v * 300);
    const w = gpu.weight([n], data, 'w16');
    assert.is(w.dtype, 'float16');
    assert.is(bytesOf(gpu, w), padded(gpu, n * 2));
    const back = await gpu.read(w);
    const err = relError(back, data);
    assert.ok(err > 0 && err <= 2 ** -11, `float16 rounding ${err.toExponential(2)} (0 would mean not stored as float16)`);
    const wide = gpu.tensor([n], undefined, 'wide');
    gpu.copy(w, wide);
    assert.equal([...await gpu.read(wide)], [...back]);
    gpu.write(w, new Float32Array(n).fill(0.5));
    assert.equal([...await gpu.read(w)], new Array(n).fill(0.5));
    for (const t of [w, wide]) gpu.dispose(t);
  }
});

half('wasm: a weight with a value outside float16\'s range stays float32; writing one into a float16 weight is refused', async () => {
  const wasm = backends.find((b) => b.name === 'wasm')!;
  const data = Float32Array.from([1, 70000, -2]);
  const w = wasm.weight([3], data, 'wide range');
  assert.is(w.dtype ?? 'float32', 'float32');
  assert.equal([...await wasm.read(w)], [...data]);
  const h = wasm.weight([3], Float32Array.from([1, 65504, -2]), 'in range');
  assert.is(h.dtype, 'float16');
  assert.throws(() => wasm.write(h, data), /\[wasm\] 1 value\(s\) written to in range exceed float16's range/);
  for (const t of [w, h]) wasm.dispose(t);
});

half('float16 matmul operands (every transpose, unaligned shapes), float16 C and embedding rows match float32', async () => {
  for (const gpu of backends) {
    const ref = new ReferenceBackend();
    // Odd sizes: float16 elements start in the middle of u32 words and vec4 runs are unaligned; on wasm the
    // larger shapes also take the packing fast paths (whole 2-row and 16-column panels, 4-wide runs) and are
    // split among threads, by columns of C (wide) and by rows (tall), so chunks start inside float16 operands.
    for (const [m, k, n] of [[3, 7, 5], [64, 301, 290], [300, 257, 70]]) for (const transA of [false, true]) for (const transB of [false, true]) for (const halfA of [false, true]) {
      const aShape = transA ? [k, m] : [m, k], bShape = transB ? [n, k] : [k, n];
      const a = halfA ? gpu.weight(aShape, randomArray(m * k, 1), 'a16') : gpu.tensor(aShape, randomArray(m * k, 1), 'a');
      const b = gpu.weight(bShape, randomArray(k * n, 2), 'b16');
      const c = gpu.tensor([m, n]);
      gpu.matmul(a, b, c, { transA, transB });
      const expected = ref.tensor([m, n]);
      ref.matmul(ref.tensor(aShape, await gpu.read(a)), ref.tensor(bShape, await gpu.read(b)), expected, { transA, transB });
      const err = relError(await gpu.read(c), await ref.read(expected));
      assert.ok(err <= productRel(gpu), `${gpu.name} ${m}x${k}x${n} transA=${transA} transB=${transB} halfA=${halfA}: ${err.toExponential(2)}`);
      for (const t of [a, b, c]) gpu.dispose(t);
  }
  const [m, k, n] = [3, 7, 5];
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
  }
});

half('an op that cannot read float16 names the tensor and the way out', async () => {
  for (const gpu of backends) {
    const w = gpu.weight([2, 4], randomArray(8, 3), 'frozen.weight');
    const y = gpu.tensor([2, 4]);
    assert.throws(() => gpu!.tile(gpu!.weight([4], randomArray(4, 4), 'bias16'), y), /is stored as float16/);
    assert.throws(() => gpu!.blockAffine(gpu!.tensor([2, 4]), gpu!.tensor([1, 2, 2]), gpu!.tensor([1, 2, 2]), w),
      /\[blockAffine\] frozen\.weight is stored as float16.*halfWeights: false/);
    gpu.dispose(w);
    gpu.dispose(y);
  }
});

/** A WebGPU backend whose storage bindings hold 64 KiB, so that float16 weights of a few thousand elements
 *  are walked in row windows (the device itself is untouched: osteon binds less than it allows). */
const windowed = () => createWebGPUBackend({ maxBindingBytes: 64 << 10 });

half('float16 weights over one binding stay float16: stored, converted and read back a piece at a time', async () => {
  if (!gpu) return;
  const small = (await windowed())!;
  try {
    for (const [rows, cols] of [[2000, 37], [1000, 64]]) {
      const data = randomArray(rows * cols, rows + cols);
      const w = small.weight([rows, cols], data, 'table16');
      assert.is(w.dtype, 'float16');
      assert.is(bytesOf(small, w), padded(small, rows * cols * 2));
      assert.ok(rows * cols * 4 > small.ctx.maxBinding, 'its float32 form (and conversion) exceeds one binding');
      // The same values as a weight made and read back whole.
      const whole = gpu.weight([rows, cols], data, 'whole');
      const expected = await gpu.read(whole);
      assert.equal([...await small.read(w)], [...expected]);
      const wide = small.tensor([rows, cols], undefined, 'wide');
      small.copy(w, wide);
      assert.equal([...await small.read(wide)], [...expected]);
      gpu.dispose(whole);
    }
  } finally {
    small.destroy();
  }
});

half('float16 weights over one binding: embedding rows and matmul in every operand position, windowed at aligned rows, match the reference', async () => {
  if (!gpu) return;
  const small = (await windowed())!;
  const ref = new ReferenceBackend();
  /** A float16 weight on `small` and the reference's copy of its (float16) values. */
  const weight = async (shape: number[], seed: number, label: string) => {
    const w = small.weight(shape, randomArray(shape[0] * shape[1], seed), label);
    assert.is(w.dtype, 'float16', label);
    return [w, ref.tensor(shape, await small.read(w), label)] as const;
  };
  const close = (what: string, got: Float32Array, want: Float32Array) => {
    const err = relError(got, want);
    assert.ok(err <= F32_REL, `${what}: rel err ${err.toExponential(2)}`);
  };
  try {
    // Embedding and the tied LM head with its backward: odd widths make 2-byte rows whose windows may only
    // start every 128th row (37: [2000, 37] is 148000 bytes, three windows starting at rows 0, 768 and 1536).
    for (const width of [37, 24]) {
      const [vocab, n] = [2000, 40];
      const ids = Int32Array.from({ length: n }, (_, i) => (i === 0 ? vocab - 1 : (i * 677) % vocab));
      const [table, refTable] = await weight([vocab, width], 70 + width, `table [${vocab}, ${width}]`);
      const run = async (b: Backend, t: Tensor) => {
        const x = b.tensor([n, width], undefined, 'x');
        b.embedding(ids, t, x);
        const logits = b.tensor([n, vocab], undefined, 'logits');
        b.matmul(x, t, logits, { transB: true }); // [N, D] x [V, D]^T: B float16 in windows of V, C in windows of N
        const dlogits = b.tensor([n, vocab], randomArray(n * vocab, 71), 'dlogits');
        const dx = b.tensor([n, width], undefined, 'dx');
        b.matmul(dlogits, t, dx); // [N, V] x [V, D]: B float16 in windows of K = V, accumulated
        return [await b.read(x), await b.read(logits), await b.read(dx)];
      };
      const [got, want] = [await run(small, table), await run(ref, refTable)];
      assert.equal([...got[0]], [...want[0]], `width ${width}: embedding rows are the table's own float16 values`);
      close(`width ${width} logits`, got[1], want[1]);
      close(`width ${width} dx`, got[2], want[2]);
    }
    // Every transpose with float16 A and/or B (a frozen linear weight's x W^T, its backward g W, and the rest);
    // each shape puts a float16 operand over the limit, with odd widths (unaligned starts within words).
    for (const [m, k, n] of [[40, 2000, 37], [300, 129, 70], [37, 33, 1000]]) {
      for (const transA of [false, true]) for (const transB of [false, true]) for (const [halfA, halfB] of [[true, false], [false, true], [true, true]]) {
        const aShape = transA ? [k, m] : [m, k], bShape = transB ? [n, k] : [k, n];
        const [a, refA] = halfA ? await weight(aShape, 1, 'a16') : [small.tensor(aShape, randomArray(m * k, 1), 'a'), ref.tensor(aShape, randomArray(m * k, 1))];
        const [b, refB] = halfB ? await weight(bShape, 2, 'b16') : [small.tensor(bShape, randomArray(k * n, 2), 'b'), ref.tensor(bShape, randomArray(k * n, 2))];
        const c = small.tensor([m, n], randomArray(m * n, 3)), refC = ref.tensor([m, n], randomArray(m * n, 3));
        small.matmul(a, b, c, { transA, transB, accumulate: true, alpha: 0.5 });
        ref.matmul(refA, refB, refC, { transA, transB, accumulate: true, alpha: 0.5 });
        close(`${m}x${k}x${n} transA=${transA} transB=${transB} halfA=${halfA} halfB=${halfB}`, await small.read(c), await ref.read(refC));
        for (const t of [a, b, c]) small.dispose(t);
      }
    }
  } finally {
    small.destroy();
  }
});

half('llama-bone with 20 KiB bindings: the float16 embedding, LM head and MLP weights in row windows give PEFT\'s logits, loss and gradients', async () => {
  if (!gpu) return;
  // [300, 64] embedding (38400 bytes) and [172, 64] MLP weights (22016 bytes) in float16 exceed the binding,
  // as do the [24, 300] logits; every activation ([24, 172] at most, 16512 bytes) fits it.
  const small = (await createWebGPUBackend({ maxBindingBytes: 20 << 10 }))!;
  try {
    const f = await fixture(small, 'llama-bone');
    const over = [...f.model.namedWeights()].filter(([, t]) => t.dtype === 'float16' && bytesOf(small, t) > small.ctx.maxBinding);
    assert.ok(over.length >= 5, `float16 weights over the binding: ${over.map(([k]) => k).join(', ')}`);
    within('logits', await small.read(f.model.forward(f.ids, f.batch).logits), fixtureFloat(f.ref, 'logits'));
    within('loss', [await f.model.forwardLoss(f.ids, f.labels, f.batch, true)], fixtureFloat(f.ref, 'loss'));
    for (const [path, layer] of f.adapter.layers) {
      within(`${path} grad`, await small.read(layer.grads.block), fixtureFloat(f.ref, `${peftKey(path, 'block')}.grad`));
    }
  } finally {
    small.destroy();
  }
});

half('a model whose float16 tensor passes maxBufferSize is refused from config.json, naming the tensor, the limit, the need and the options', async () => {
  if (!gpu) return;
  const maxBuffer = gpu.ctx.limits.maxBufferSize;
  // An embedding a quarter over the device's largest buffer in float16.
  const hidden = 2048, vocab = Math.ceil((1.25 * maxBuffer) / (2 * hidden));
  const config = {
    model_type: 'llama', vocab_size: vocab, hidden_size: hidden, intermediate_size: 8192, num_hidden_layers: 2,
    num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, tie_word_embeddings: true,
  };
  const files = filesFromMap(new Map([['config.json', new TextEncoder().encode(JSON.stringify(config))]]), 'big');
  const err = await loadModel(gpu, files).then(() => 'loaded', (e: Error) => e.message);
  assert.match(err, new RegExp(`big/config.json: model.embed_tokens.weight \\[${vocab},${hidden}\\] takes [\\d.]+ [MG]iB in float16, ` +
    `more than this GPU's largest buffer \\(maxBufferSize [\\d.]+ [MG]iB\\).*the model's weights need [\\d.]+ [MG]iB in all\\); ` +
    '(use the wasm backend \\(--backend wasm\\), )?use a device with larger buffers, or a smaller model$'), err);
  // One row less than the limit allows: accepted (then fails for want of weights, not of room).
  const fits = { ...config, vocab_size: Math.floor(maxBuffer / (2 * hidden)) - 8 };
  const smaller = filesFromMap(new Map([['config.json', new TextEncoder().encode(JSON.stringify(fits))]]), 'fits');
  const other = await loadModel(gpu, smaller).then(() => 'loaded', (e: Error) => e.message);
  assert.not.match(other, /maxBufferSize/, other);
});

for (const name of ['llama-bone', 'llama-bat']) {
  half(`${name}: float16 weights give logits, loss and adapter gradients within HALF_REL, merge/unmerge too`, async () => {
    for (const gpu of backends) {
      const f = await fixture(gpu, name);
      const weights = [...f.model.namedWeights().entries()].filter(([, t]) => t.shape.length === 2);
      for (const [key, t] of weights) {
        assert.is(t.dtype, 'float16', key);
        assert.is(bytesOf(gpu, t), padded(gpu, t.size * 2), `${key}: 2 bytes per element`);
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
    }
  });
}

for (const config of [{ variant: 'bone', r: 8 }, { variant: 'bat', r: 8 }, { variant: 'lora', r: 4, alpha: 8 }] as AdapterConfig[]) {
  half(`${config.variant} layer on a float16 weight: forward, input and adapter gradients as the reference on the same values, merge/unmerge`, async () => {
    const [n, inF, out] = [5, 64, 48];
    for (const b of backends) {
      const ref = new ReferenceBackend();
      const w = b.weight([out, inF], randomArray(out * inF, 1), 'W16');
      assert.is(w.dtype, 'float16');
      // The reference gets the float16 values themselves in float32: any difference is the kernels'.
      const layers = [new AdaptedLinear(b, w, null, 'half'), new AdaptedLinear(ref, ref.tensor([out, inF], await b.read(w), 'W'), null, 'ref')];
      const results: Float32Array[][] = [];
      for (const layer of layers) {
        const be = layer.backend;
        const a = layer.addAdapter('a', config, 3);
        for (const [i, p] of Object.values(a.params).entries()) be.write(p, randomArray(p.size, 10 + i).map((v) => v * 0.1));
        const { y, cache } = layer.forward(be.tensor([n, inF], randomArray(n * inF, 2), 'x'));
        const dx = layer.backward(cache, be.tensor([n, out], randomArray(n * out, 4), 'g'))!;
        results.push([await be.read(y), await be.read(dx), ...await Promise.all(Object.values(a.grads).map((g) => be.read(g)))]);
      }
      results[0].forEach((got, i) => {
        const err = relError(got, results[1][i]);
        assert.ok(err <= productRel(b), `${b.name} ${config.variant} output ${i}: rel err ${err.toExponential(2)}`);
      });
      // Merging rounds the merged weight to float16 once; unmerging restores the base within that rounding.
      const x = b.tensor([n, inF], randomArray(n * inF, 2), 'x');
      const before = await b.read(w);
      layers[0].merge();
      assert.is(w.dtype, 'float16');
      within(`${b.name} ${config.variant} merged`, await b.read(layers[0].forward(x).y), results[0][0]);
      await layers[0].unmerge();
      within(`${b.name} ${config.variant} unmerged weight`, await b.read(w), before);
    }
  });
}

/** Losses and gradient norms of four AdamW steps on a fixture, with the given weights. */
async function trainingHistory(b: Backend, name: string, halfWeights: boolean): Promise<StepLog[]> {
  const { model } = await loadModel(b, nodeFiles(join(fixturesDir, name, 'model')), { halfWeights });
  const adapter = await loadAdapter(model, nodeFiles(join(fixturesDir, name, 'adapter')));
  const rows = [0, 1].map((r) => {
    const ids = Int32Array.from({ length: 12 }, (_, i) => (37 * i + 101 * r + 5) % 300);
    return { ids, labels: ids.slice() };
  });
  const trainer = new Trainer(b, model, adapter, rows, {
    ...DEFAULT_TRAIN, steps: 4, batchSize: 1, gradAccum: 2, lr: 1e-2, schedule: 'constant', warmup: 0, maxGradNorm: 1,
  });
  try {
    for (let i = 0; i < 4; i++) await trainer.trainStep();
    return trainer.history;
  } finally {
    trainer.dispose();
  }
}

for (const name of ['llama-bone', 'llama-bat']) {
  half(`${name}: training steps with float16 weights give the float32 reference's losses and gradient norms within HALF_REL`, async () => {
    const expected = await trainingHistory(new ReferenceBackend(), name, false);
    for (const b of backends) {
      const got = await trainingHistory(b, name, true);
      for (let i = 0; i < expected.length; i++) {
        for (const key of ['loss', 'gradNorm'] as const) within(`${b.name} step ${i + 1} ${key}`, [got[i][key]], [expected[i][key]]);
      }
    }
  });
}

half('raw BF16 values (HalfBits) make the same weight as their float32 values, with no float32 copy on wasm; out of float16 range stays float32', async () => {
  for (const b of backends) {
    const values = randomArray(37, 9).map((v) => v * 3);
    const bits = Uint16Array.from(values, toBfloat16);
    const widened = halfBitsToFloat32({ dtype: 'bfloat16', bits });
    const raw = b.weight([37], { dtype: 'bfloat16', bits }, 'raw');
    const wide = b.weight([37], widened, 'wide');
    assert.is(raw.dtype, 'float16');
    assert.equal([...await b.read(raw)], [...await b.read(wide)]);
    const big = b.weight([3], { dtype: 'bfloat16', bits: Uint16Array.from([1, 70000, -2], toBfloat16) }, 'big');
    if (b.name === 'wasm') assert.is(big.dtype ?? 'float32', 'float32');
    for (const t of [raw, wide, big]) b.dispose(t);
  }
});

half('default: a BF16 checkpoint keeps 2-D weights as float16 on wasm, an F32 one stays float32; halfWeights: false turns it off', async () => {
  const wasm = backends.find((b) => b.name === 'wasm')!;
  const dir = join(fixturesDir, 'llama-bone', 'model');
  const stored = readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  const bf16 = writeSafetensors(Object.fromEntries([...stored.tensors].map(([name, t]) =>
    [name, { dtype: 'BF16', shape: t.shape, data: Uint16Array.from(toFloat32(t), toBfloat16) }])));
  const folder = () => filesFromMap(new Map([['config.json', readFileSync(join(dir, 'config.json'))], ['model.safetensors', bf16]]), 'bf16');
  const dtypes = async (files: ReturnType<typeof nodeFiles>, halfWeights?: boolean) => {
    const { model } = await loadModel(wasm, files, { halfWeights });
    return new Set([...model.namedWeights().values()].filter((t) => t.shape.length === 2).map((t) => t.dtype ?? 'float32'));
  };
  assert.equal([...await dtypes(folder())], ['float16']);
  assert.equal([...await dtypes(folder(), false)], ['float32']);
  assert.equal([...await dtypes(nodeFiles(dir))], ['float32']);
});

half('halfWeights: false keeps float32 weights (the path of a device without shader-f16)', async () => {
  for (const gpu of backends) {
    const f16 = await fixture(gpu, 'llama-bone');
    const f32 = await fixture(gpu, 'llama-bone', false);
    let bytes16 = 0, bytes32 = 0;
    for (const [key, t] of f32.model.namedWeights()) {
      assert.is(t.dtype, 'float32', key);
      bytes32 += bytesOf(gpu, t);
      bytes16 += bytesOf(gpu, f16.model.namedWeights().get(key)!);
  }
  console.log(`llama-bone weights on ${gpu.name}: ${bytes32} bytes as float32, ${bytes16} bytes with half weights`);
  assert.ok(bytes16 < 0.6 * bytes32, `${bytes16} vs ${bytes32}`);
  const { logits } = f32.model.forward(f32.ids, f32.batch);
  const ref32 = await gpu.read(logits);
  within('float32 logits', ref32, fixtureFloat(f32.ref, 'logits'));
  const h = await gpu.read(f16.model.forward(f16.ids, f16.batch).logits);
  console.log(`llama-bone logits on ${gpu.name}, float16 vs float32 weights: rel err ${relError(h, ref32).toExponential(2)}`);
  }
});

half.run();
