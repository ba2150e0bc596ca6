// WebGPU-specific behaviour that tests/ops.test.ts cannot see: limits and errors reported with the
// kernel's label, tensors over the binding limit walked in row windows (with a lowered limit, so the tensors
// stay small), use after dispose, device loss, labels on GPU objects, ordering of writes and disposals
// against recorded passes, batGrad walking its output blocks in bounded groups, kernel variants and their
// choice, the automatic backend choice on a software adapter, and pooled memory with batched submission
// (counters).
// Without an adapter every test here is skipped visibly (tests/helpers.ts), never passed on a fake device.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../runtime/backend.js';
import { loadModel } from '../runtime/model/checkpoint.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { loadAdapter, peftKey } from '../runtime/peft/adapter.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { toInt32 } from '../runtime/safetensors.js';
import { WebGPUBackend, createWebGPUBackend } from '../gpu/backend.js';
import { createBackend } from '../runtime/select.js';
import { adapterKey, timeAttention, timeHalfMath, timeMatmul } from '../gpu/tuning.js';
import { type KernelVariants, defaultVariants } from '../gpu/device.js';
import { VARIANT_CHOICES, missingFeature, parseKernelSwitch, subgroupMatmulFits, validVariants } from '../gpu/variants.js';
import { nodeTuningStore } from '../runtime/node-tuning.js';
import { F32_REL, MODEL_REL } from './tolerances.js';
import { F32_WEIGHTS, fixtureFloat, fixturesDir, loadFixture, randomArray, relError, testBackends } from './helpers.js';

const webgpu = suite('webgpu');
let gpu: WebGPUBackend | undefined;
webgpu.before(async () => {
  // By name, not instanceof: the shared backend may come from another test file's bundle of the class.
  gpu = (await testBackends()).find((b) => b.name === 'webgpu') as WebGPUBackend | undefined;
  if (!gpu) console.warn('skipped: no WebGPU adapter (tests/webgpu.test.ts)');
});

/** A backend of its own for tests that break it (errors, device loss) or need other options. */
async function fresh(options = {}): Promise<WebGPUBackend> {
  const b = await createWebGPUBackend(options);
  assert.ok(b instanceof WebGPUBackend, 'an adapter existed a moment ago');
  return b;
}

async function rejects(p: Promise<unknown>, pattern: RegExp, what: string): Promise<string> {
  try {
    await p;
  } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, pattern, `${what}: ${msg}`);
    return msg;
  }
  assert.unreachable(`${what} did not throw`);
  return '';
}

webgpu('info names the adapter and the limits it was opened with', async () => {
  if (!gpu) return;
  assert.ok(gpu.info.device.length > 0);
  const limit = gpu.info.details.maxStorageBufferBindingSize;
  assert.ok(typeof limit === 'number' && limit >= 128 << 20, `maxStorageBufferBindingSize ${limit}`);
  assert.equal(limit, gpu.ctx.adapter.limits.maxStorageBufferBindingSize, 'the adapter limit is requested, not the default');
  assert.type(gpu.info.details['shader-f16'], 'boolean');
});

webgpu('a tensor over maxBufferSize is refused with the limit and the tensor named', async () => {
  if (!gpu) return;
  const limit = gpu.ctx.limits.maxBufferSize;
  assert.throws(() => gpu!.tensor([Math.floor(limit / 4) + 4], undefined, 'huge embedding'),
    (e: Error) => /huge embedding/.test(e.message) && /maxBufferSize/.test(e.message));
});

webgpu('tensors over the binding limit: embedding, matmul and crossEntropy walk row windows; other ops refuse', async () => {
  if (!gpu) return;
  // 64 KiB bindings: the [1000, 24] table (96 KB) takes two windows, [40, 1000] logits (160 KB) three.
  const b = await fresh({ maxBindingBytes: 64 << 10 });
  const ref = new ReferenceBackend();
  const [n, vocab, width] = [40, 1000, 24];
  const ids = Int32Array.from({ length: n }, (_, i) => (i * 677) % vocab);
  const targets = Int32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? -100 : (i * 131) % vocab));
  try {
    const run = async (be: Backend & Backend) => {
      const table = be.tensor([vocab, width], randomArray(vocab * width, 61), 'table');
      const x = be.tensor([n, width], undefined, 'x');
      be.embedding(ids, table, x);
      const logits = be.tensor([n, vocab], undefined, 'logits');
      be.matmul(x, table, logits, { transB: true }); // C and B over the limit: blocks of M and N
      const loss = be.tensor([1], undefined, 'loss'), dlogits = be.tensor([n, vocab], undefined, 'dlogits');
      be.crossEntropy(logits, targets, loss, dlogits);
      const dx = be.tensor([n, width], undefined, 'dx');
      be.matmul(dlogits, table, dx); // A and B over the limit: blocks of K, accumulated
      const dTable = be.tensor([vocab, width], randomArray(vocab * width, 62), 'dTable');
      be.matmul(dlogits, x, dTable, { transA: true, alpha: 0.5, accumulate: true }); // A transposed, C over the limit
      return { x: await be.read(x), logits: await be.read(logits), loss: await be.read(loss), dlogits: await be.read(dlogits),
        dx: await be.read(dx), dTable: await be.read(dTable) };
    };
    const got = await run(b), want = await run(ref);
    for (const [k, v] of Object.entries(want)) {
      const err = relError(got[k as keyof typeof got], v);
      assert.ok(err <= F32_REL, `${k}: rel err ${err.toExponential(2)}`);
    }
    const wide = b.tensor([n, vocab], undefined, 'wide'), rstd = b.tensor([n]), w = b.tensor([vocab]);
    assert.throws(() => b.rmsNorm(wide, w, 1e-5, wide, rstd),
      (e: Error) => /^\[rmsNorm\]/.test(e.message) && /wide spans 160000 bytes, over the binding limit of 65536/.test(e.message));
  } finally {
    b.destroy();
  }
});

webgpu('attention refuses a head dimension its vec4 kernel cannot hold, naming it and the way out', async () => {
  if (!gpu) return;
  const q = gpu.tensor([1, 2, 6]), kv = gpu.tensor([1, 2, 6]), lse = gpu.tensor([2, 2]);
  assert.throws(() => gpu!.attention(q, kv, kv, q, lse, { heads: 2, kvHeads: 2 }),
    (e: Error) => /^\[attention\]/.test(e.message) && /head dimension 3 is not a multiple of 4/.test(e.message) && /wasm or reference/.test(e.message));
  for (const t of [q, kv, lse]) gpu.dispose(t);
});

// The tiled attention design on shapes that stress its tiles (16 query or key rows per workgroup, key and
// query tiles of 16 rows for E <= 64, 8 for E = 128, 4 for E = 256): sequences that fill no tile (37, 70),
// grouped-query heads (3 per key/value head, so a tile of (position, head) items splits positions), head
// dimensions that leave lanes idle (4: one vec4 for four lanes; 12) up to the largest (256), windows that
// cut tiles anywhere (1, 5, 16, 17), and a decode whose queries start mid-tile at P. Forward, backward and
// decode against the reference, held to F32_REL like every float32 kernel (model-kernels.test.ts). A
// causal mask or window off by one row moves outputs by far more: a key more or less in a softmax of at
// most 17 keys whose scores spread over several units.
webgpu('tiled attention: forward, backward and decode match the reference on odd shapes, windows and head dimensions', async () => {
  if (!gpu) return;
  const tiled = await fresh({ variants: { attention: 'tiled' } });
  const ref = new ReferenceBackend();
  // Each backend's own forward precedes its backward, as in a model.
  const outputs = async (b: Backend, c: { t: number; heads: number; kvHeads: number; e: number; window: number | null }) => {
    const opts = { heads: c.heads, kvHeads: c.kvHeads, window: c.window };
    const t = (cols: number, seed: number, scale = 1) => b.tensor([2, c.t, cols], randomArray(2 * c.t * cols, seed).map((x) => x * scale));
    const q = t(c.heads * c.e, 81, 2), k = t(c.kvHeads * c.e, 82, 2), v = t(c.kvHeads * c.e, 83);
    const out = t(c.heads * c.e, 84), lse = b.tensor([2 * c.t, c.heads]);
    const dq = t(c.heads * c.e, 85), dk = t(c.kvHeads * c.e, 86), dv = t(c.kvHeads * c.e, 87); // overwritten
    b.attention(q, k, v, out, lse, opts);
    b.attentionBackward(q, k, v, out, lse, t(c.heads * c.e, 88), dq, dk, dv, opts);
    const all = { out, lse, dq, dk, dv };
    const read: Record<string, Float32Array> = {};
    for (const [name, x] of Object.entries(all)) read[name] = await b.read(x);
    for (const x of [q, k, v, ...Object.values(all)]) b.dispose(x);
    return read;
  };
  const decoded = async (b: Backend, c: { tq: number; past: number; capacity: number; heads: number; kvHeads: number; e: number; window: number | null }) => {
    const kv = c.kvHeads * c.e;
    const t = (rows: number, cols: number, seed: number) => b.tensor([2, rows, cols], randomArray(2 * rows * cols, seed).map((x) => x * 2));
    const kCache = t(c.capacity, kv, 91), vCache = t(c.capacity, kv, 92), out = t(c.tq, c.heads * c.e, 93);
    b.attentionDecode(t(c.tq, c.heads * c.e, 94), t(c.tq, kv, 95), t(c.tq, kv, 96), kCache, vCache, c.past, out,
      { heads: c.heads, kvHeads: c.kvHeads, window: c.window });
    return { out: await b.read(out), kCache: await b.read(kCache), vCache: await b.read(vCache) };
  };
  const close = (what: string, got: Record<string, Float32Array>, want: Record<string, Float32Array>) => {
    for (const [name, w] of Object.entries(want)) {
      const err = relError(got[name], w);
      assert.ok(err <= F32_REL, `${what}: ${name} rel err ${err.toExponential(2)} > ${F32_REL}`);
    }
  };
  try {
    for (const c of [
      { t: 37, heads: 6, kvHeads: 2, e: 4, window: null },
      { t: 70, heads: 6, kvHeads: 2, e: 12, window: 17 },
      { t: 37, heads: 6, kvHeads: 2, e: 64, window: 16 },
      { t: 70, heads: 6, kvHeads: 2, e: 64, window: 5 },
      { t: 37, heads: 6, kvHeads: 2, e: 256, window: null },
      { t: 70, heads: 2, kvHeads: 1, e: 256, window: 17 },
      { t: 16, heads: 3, kvHeads: 3, e: 64, window: 1 },
    ]) {
      close(`Bt=2 T=${c.t} H=${c.heads} Hk=${c.kvHeads} E=${c.e} window=${c.window}`, await outputs(tiled, c), await outputs(ref, c));
    }
    for (const c of [
      { tq: 1, past: 40, capacity: 41, heads: 6, kvHeads: 2, e: 256, window: null },
      { tq: 37, past: 5, capacity: 50, heads: 6, kvHeads: 2, e: 12, window: 9 },
      { tq: 20, past: 17, capacity: 40, heads: 6, kvHeads: 2, e: 64, window: 16 },
    ]) {
      close(`decode Bt=2 Tq=${c.tq} P=${c.past} C=${c.capacity} E=${c.e} window=${c.window}`, await decoded(tiled, c), await decoded(ref, c));
    }
  } finally {
    tiled.destroy();
  }
});

webgpu('the llama fixture with 64 KiB bindings (its 300 x 64 embedding split in two) matches PEFT', async () => {
  if (!gpu) return;
  const b = await fresh({ maxBindingBytes: 64 << 10 });
  try {
    const dir = join(fixturesDir, 'llama-bone');
    const { model } = await loadModel(b, nodeFiles(join(dir, 'model')), F32_WEIGHTS);
    const adapter = await loadAdapter(model, nodeFiles(join(dir, 'adapter')));
    const ref = loadFixture('llama-bone/reference.safetensors');
    const ids = toInt32(ref.tensors.get('input_ids')!), batch = ref.tensors.get('input_ids')!.shape[0];
    const { logits } = model.forward(ids, batch);
    const err = relError(await b.read(logits), fixtureFloat(ref, 'logits'));
    assert.ok(err <= MODEL_REL, `logits: rel err ${err.toExponential(2)}`);
    await model.forwardLoss(ids, toInt32(ref.tensors.get('labels')!), batch, true);
    for (const [path, layer] of adapter.layers) {
      const e = relError(await b.read(layer.grads.block), fixtureFloat(ref, `${peftKey(path, 'block')}.grad`));
      assert.ok(e <= MODEL_REL, `${path} grad: rel err ${e.toExponential(2)}`);
    }
  } finally {
    b.destroy();
  }
});

webgpu('GPU objects carry labels', async () => {
  if (!gpu) return;
  const t = gpu.tensor([3], undefined, 'lm_head.bias');
  assert.equal((t as unknown as { buffer: GPUBuffer }).buffer.label, 'lm_head.bias');
  gpu.dispose(t);
});

webgpu('use after dispose is an error naming the tensor', async () => {
  if (!gpu) return;
  const a = gpu.tensor([2, 2], undefined, 'gone'), c = gpu.tensor([2, 2]);
  gpu.dispose(a);
  assert.throws(() => gpu!.matmul(a, a, c), /gone was disposed/);
  await rejects(gpu.read(a), /gone was disposed/, 'read after dispose');
  assert.throws(() => gpu!.dispose(a), /gone was disposed/);
  gpu.dispose(c);
});

webgpu('a GPU validation error is thrown at the next call with the kernel label, then the backend works', async () => {
  if (!gpu) return;
  // Batched (one error scope per submit, naming the batch's kernels) and debug (scopes per dispatch).
  for (const debug of [false, true]) await validationErrorNamesKernel(await fresh({ debug }));
});

async function validationErrorNamesKernel(b: WebGPUBackend): Promise<void> {
  try {
    // The tile kernel binds its input read-only and its output writable: the same buffer as both is a
    // genuine WebGPU validation error (writable storage aliasing), caught by the kernel's error scope.
    const y = b.tensor([1, 4], new Float32Array([1, 2, 3, 4]), 'y');
    b.tile(y, y);
    const msg = await rejects(b.sync(), /tile y \+= y/, 'aliased tile');
    assert.match(msg, /^\[webgpu\] .*validation error/);
    const z = b.tensor([1, 4], new Float32Array([1, 1, 1, 1]), 'z');
    b.tile(y, z);
    assert.equal([...await b.read(z)], [2, 3, 4, 5]);
  } finally {
    b.destroy();
  }
}

webgpu('kernel variants: chosen for the adapter, forced by option, timed on the device, cached per adapter', async () => {
  if (!gpu) return;
  const ctx = gpu.ctx;
  assert.equal(ctx.variants, defaultVariants(ctx.software));
  assert.equal([ctx.variants.matmul, ctx.variants.attention], ctx.software ? ['blocked', 'rows'] : ['tiled', 'tiled']);
  assert.match(String(gpu.info.details['matmul kernel']), /^(blocked|tiled) \(/);
  assert.match(String(gpu.info.details['attention kernel']), /^(rows|tiled) \(/);
  const forced = await fresh({ variants: { matmul: 'tiled', attention: 'tiled' } });
  try {
    assert.equal([forced.ctx.variants.matmul, forced.ctx.variants.attention], ['tiled', 'tiled']);
    assert.match(String(forced.info.details['matmul kernel']), /tiled \(forced\)/);
    assert.match(String(forced.info.details['attention kernel']), /tiled \(forced\)/);
    const ms = await timeMatmul(forced.ctx, { m: 40, n: 72, k: 36 }, 1);
    const designs = ['blocked', ...VARIANT_CHOICES.matmulTile.map((t) => `tiled ${t}`), ...(subgroupMatmulFits(ctx) ? ['subgroup'] : [])];
    assert.equal(Object.keys(ms).sort(), designs.sort());
    const half = ctx.hasF16 ? await timeHalfMath(forced.ctx, { m: 40, n: 72, k: 36 }, 1) : {};
    assert.equal(Object.keys(half).sort(), ctx.hasF16 ? ['f16', 'f32'] : []);
    const attentionMs = await timeAttention(forced.ctx, { batch: 1, seq: 20, heads: 2, kvHeads: 1, headDim: 8, window: null }, 1);
    assert.equal(Object.keys(attentionMs).sort(), ['rows', 'tiled']);
    assert.ok([...Object.values(ms), ...Object.values(half), ...Object.values(attentionMs)].every((t) => Number.isFinite(t) && t >= 0),
      JSON.stringify({ ms, half, attentionMs }));
    assert.equal(forced.ctx.variants, { ...defaultVariants(ctx.software), matmul: 'tiled', attention: 'tiled' }, 'timing restores the variants in use');
    assert.is(forced.info.details['matmul tile'], '64x64 (default)');
    assert.is(forced.info.details['float16 products'], 'f32 arithmetic (default)');
  } finally {
    forced.destroy();
  }
  const savedKernels = process.env.OSTEON_KERNELS;
  try {
    process.env.OSTEON_KERNELS = 'attention:rows';
    const byName = await fresh();
    assert.equal(byName.ctx.variants.attention, 'rows');
    byName.destroy();
  } finally {
    if (savedKernels === undefined) delete process.env.OSTEON_KERNELS; else process.env.OSTEON_KERNELS = savedKernels;
  }
  // OSTEON_KERNELS names the valid values of a bad one; a variant the adapter cannot run names the feature.
  assert.equal(parseKernelSwitch('matmul:subgroup, matmulTile:128x64,halfMath:f16,attention:tiled'),
    { matmul: 'subgroup', matmulTile: '128x64', halfMath: 'f16', attention: 'tiled' });
  assert.throws(() => parseKernelSwitch('matmul:fast'), /matmul:fast is not a variant; use matmul:blocked, matmul:tiled, matmul:subgroup$/);
  assert.throws(() => parseKernelSwitch('matmulTile:48x48'), /use matmulTile:64x64, matmulTile:128x64, .*matmulTile:32x32$/);
  assert.throws(() => parseKernelSwitch('attention:flash'), /attention:flash is not a variant; use attention:rows, attention:tiled$/);
  assert.throws(() => parseKernelSwitch('matmull:tiled'), /matmull is not a kernel with variants; use matmul, matmulTile, halfMath, attention/);
  const subgroup: KernelVariants = { matmul: 'subgroup', matmulTile: '64x64', halfMath: 'f16', attention: 'tiled' };
  const none = { hasF16: false, hasSubgroups: false, subgroupMaxSize: undefined };
  assert.match(missingFeature(subgroup, none) ?? '', /^matmul:subgroup needs the adapter feature 'subgroups', .*; use matmul:tiled or matmul:blocked$/);
  assert.match(missingFeature(subgroup, { ...none, hasSubgroups: true, subgroupMaxSize: 128 }) ?? '', /at most 64 invocations \(this adapter's largest: 128\)/);
  assert.match(missingFeature({ ...subgroup, matmul: 'tiled' }, none) ?? '', /^halfMath:f16 needs the adapter feature 'shader-f16', .*; use halfMath:f32$/);
  const dir = mkdtempSync(join(tmpdir(), 'osteon-tuning-'));
  const saved = process.env.OSTEON_CACHE_DIR;
  process.env.OSTEON_CACHE_DIR = join(dir, 'nested');
  try {
    const store = nodeTuningStore();
    assert.equal(await store.get(adapterKey(ctx.adapter)), null);
    const tiled: KernelVariants = { matmul: 'tiled', matmulTile: '128x64', halfMath: 'f32', attention: 'tiled' };
    await store.put(adapterKey(ctx.adapter), tiled);
    await store.put('another adapter', { ...tiled, matmul: 'blocked' });
    assert.equal(await nodeTuningStore().get(adapterKey(ctx.adapter)), tiled);
    // A cached entry is used only whole, valid, and runnable here; an older one (no tile) means a re-tune.
    assert.ok(validVariants(tiled, ctx));
    assert.not.ok(validVariants({ matmul: 'tiled' }, ctx), 'an entry without every variant');
    assert.not.ok(validVariants({ ...tiled, matmulTile: '48x48' }, ctx), 'an unknown tile');
    assert.not.ok(validVariants({ ...tiled, attention: undefined }, ctx), 'an entry from before attention had designs');
    assert.not.ok(validVariants({ ...tiled, halfMath: 'f16' }, { ...ctx, hasF16: false }), 'f16 arithmetic without shader-f16');
    assert.not.ok(validVariants({ ...tiled, matmul: 'subgroup' }, { ...ctx, hasSubgroups: false }), 'subgroups without the feature');
  } finally {
    if (saved === undefined) delete process.env.OSTEON_CACHE_DIR; else process.env.OSTEON_CACHE_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

webgpu('a repeated step reuses pooled buffers: no buffer created, one submit per read, zero-filled tensors', async () => {
  if (!gpu) return;
  for (const debug of [false, true]) {
    const b = await fresh({ debug });
    try {
      const w = b.tensor([8, 12], randomArray(96, 3), 'w');
      const ids = Int32Array.from([1, 5, 2, 7]);
      const step = async () => {
        const x = b.tensor([4, 12], undefined, 'x'), y = b.tensor([4, 8], undefined, 'y');
        b.embedding(ids, w, x);
        b.matmul(x, w, y, { transB: true });
        b.write(x, new Float32Array(48).fill(1)); // in order: the matmul above read the gathered rows
        b.matmul(x, w, y, { transB: true, accumulate: true });
        const out = await b.read(y);
        b.dispose(x);
        b.dispose(y);
        return out;
      };
      const first = await step();
      await step();
      const before = b.counters()!;
      const again = await step();
      const c = b.counters()!;
      assert.equal([...again], [...first], `debug=${debug}: the same result from pooled (zero-filled) buffers`);
      assert.equal(c.buffersCreated - before.buffersCreated, 0, `debug=${debug}: buffers created in a steady step`);
      assert.equal(c.submits - before.submits, 1, `debug=${debug}: submits per step with one read`);
      assert.equal(c.bytesReadBack - before.bytesReadBack, 4 * 8 * 4);
      assert.ok(c.dispatches - before.dispatches >= 3);
      const zero = b.tensor([4, 8], undefined, 'zero');
      assert.ok((await b.read(zero)).every((v) => v === 0), 'a pooled buffer is handed out zero-filled');
    } finally {
      b.destroy();
    }
  }
});

webgpu('device loss is reported at the next call, never swallowed', async () => {
  if (!gpu) return;
  const b = await fresh();
  try {
    const t = b.tensor([4], new Float32Array(4).fill(1), 't');
    b.ctx.device.destroy();
    await rejects(b.sync(), /device was lost/, 'sync after device loss');
    assert.throws(() => b.tile(t, t), /device was lost/);
    assert.throws(() => b.tensor([1]), /device was lost/);
    await rejects(b.read(t), /device was lost/, 'read after device loss');
  } finally {
    b.destroy();
  }
  assert.throws(() => b.tensor([1]), /destroyed/);
});

webgpu('writes and disposals keep their order against passes recorded before them', async () => {
  if (!gpu) return;
  const x = gpu.tensor([1, 4], new Float32Array([1, 2, 3, 4]), 'x');
  const y = gpu.tensor([1, 4], new Float32Array([10, 20, 30, 40]), 'y');
  const y2 = gpu.tensor([1, 4], new Float32Array([10, 20, 30, 40]), 'y2');
  gpu.tile(x, y);       // must read x = 1, 2, 3, 4
  gpu.write(x, new Float32Array([5, 5, 5, 5]));
  gpu.tile(x, y2);      // must read the new x
  const bias = gpu.tensor([4], new Float32Array([1, 1, 1, 1]), 'bias');
  gpu.tile(bias, y2);
  gpu.dispose(bias);       // disposing an input of a recorded pass must not break that pass
  assert.equal([...await gpu.read(y)], [11, 22, 33, 44]);
  assert.equal([...await gpu.read(y2)], [16, 26, 36, 46]);
  for (const t of [x, y, y2]) gpu.dispose(t);
});

webgpu('many passes without a read are submitted in batches and stay ordered', async () => {
  if (!gpu) return;
  const y = gpu.tensor([1, 3], undefined, 'y'), one = gpu.tensor([3], new Float32Array([1, 2, 3]), 'one');
  for (let i = 0; i < 150; i++) gpu.tile(one, y); // more passes than one batch holds
  assert.equal([...await gpu.read(y)], [150, 300, 450]);
  gpu.dispose(y);
  gpu.dispose(one);
});

webgpu('element-wise kernels cover more workgroups than one dispatch dimension allows', async () => {
  if (!gpu) return;
  // 65535 workgroups of 64 in x are not enough: the grid folds into y and the kernel must unfold it.
  const width = 7, rows = Math.ceil((65535 * 64 + 1000) / width);
  const y = gpu.tensor([rows, width], undefined, 'tall y'), bias = gpu.tensor([width], new Float32Array([1, 2, 3, 4, 5, 6, 7]), 'bias');
  gpu.tile(bias, y);
  const out = await gpu.read(y);
  let bad = 0;
  for (let i = 0; i < out.length; i++) if (out[i] !== (i % width) + 1) bad++;
  assert.is(bad, 0, `${bad} of ${out.length} elements wrong`);
  gpu.dispose(y);
  gpu.dispose(bias);
});

webgpu('batGrad walks the output blocks in groups bounded by its scratch', async () => {
  if (!gpu) return;
  const [n, out, inF, r] = [5, 48, 32, 8];
  // Room for two blocks' slab (2 * r * inF floats) at a time: 6 blocks take 3 groups.
  const b = await fresh({ batScratchBytes: 2 * r * inF * 4 });
  const ref = new ReferenceBackend();
  try {
    const data = [randomArray(out * inF, 7), randomArray(n * out, 8), randomArray(n * inF, 9)];
    const run = async (be: Backend) => {
      const [w, g, x] = [[out, inF], [n, out], [n, inF]].map((s, i) => be.tensor(s, data[i]));
      const db = be.tensor([out / r, r, r], randomArray(out * r, 10)); // overwritten, not added to
      be.batGrad(w, g, x, db);
      return be.read(db);
    };
    const err = relError(await run(b), await run(ref));
    assert.ok(err <= F32_REL, `batGrad in groups: rel err ${err.toExponential(2)}`);
  } finally {
    b.destroy();
  }
});

webgpu('the automatic choice leaves a software adapter for WebAssembly; asked for by name, it is used', async () => {
  if (!gpu) return;
  const auto = await createBackend({ backend: 'auto' });
  const named = await createBackend({ backend: 'webgpu' });
  try {
    assert.is(auto.name, gpu.ctx.software ? 'wasm' : 'webgpu', `adapter ${gpu.info.device} (software: ${gpu.ctx.software})`);
    assert.is(named.name, 'webgpu');
  } finally {
    auto.destroy();
    named.destroy();
  }
});

webgpu.run();
