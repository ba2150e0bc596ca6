// WebGPU-specific behaviour that tests/ops.test.ts cannot see: limits and errors reported with the
// kernel's label, use after dispose, device loss, labels on GPU objects, ordering of writes and disposals
// against recorded passes, and batGrad walking its output blocks in bounded groups.
// Without an adapter every test here is skipped visibly (tests/helpers.ts), never passed on a fake device.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend } from '../runtime/backend.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { WebGPUBackend, createWebGPUBackend } from '../gpu/backend.js';
import { F32_REL } from './tolerances.js';
import { randomArray, relError, testBackends } from './helpers.js';

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

webgpu('a tensor over the binding limit is refused with the limit and the tensor named', async () => {
  if (!gpu) return;
  const limit = gpu.ctx.limits.maxStorageBufferBindingSize;
  assert.throws(() => gpu!.tensor([limit / 4 + 4], undefined, 'huge embedding'),
    (e: Error) => /huge embedding/.test(e.message) && /maxStorageBufferBindingSize/.test(e.message));
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
  const b = await fresh();
  try {
    // The bias kernel binds its input read-only and its output writable: the same buffer as both is a
    // genuine WebGPU validation error (writable storage aliasing), caught by the kernel's error scope.
    const y = b.tensor([1, 4], new Float32Array([1, 2, 3, 4]), 'y');
    b.addBias(y, y);
    const msg = await rejects(b.sync(), /addBias y \+= y/, 'aliased addBias');
    assert.match(msg, /^\[webgpu\] .*validation error/);
    const z = b.tensor([1, 4], new Float32Array([1, 1, 1, 1]), 'z');
    b.addBias(z, y);
    assert.equal([...await b.read(z)], [2, 3, 4, 5]);
  } finally {
    b.destroy();
  }
});

webgpu('device loss is reported at the next call, never swallowed', async () => {
  if (!gpu) return;
  const b = await fresh();
  try {
    const t = b.tensor([4], new Float32Array(4).fill(1), 't');
    b.ctx.device.destroy();
    await rejects(b.sync(), /device was lost/, 'sync after device loss');
    assert.throws(() => b.addBias(t, t), /device was lost/);
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
  gpu.addBias(y, x);       // must read x = 1, 2, 3, 4
  gpu.write(x, new Float32Array([5, 5, 5, 5]));
  gpu.addBias(y2, x);      // must read the new x
  const bias = gpu.tensor([4], new Float32Array([1, 1, 1, 1]), 'bias');
  gpu.addBias(y2, bias);
  gpu.dispose(bias);       // disposing an input of a recorded pass must not break that pass
  assert.equal([...await gpu.read(y)], [11, 22, 33, 44]);
  assert.equal([...await gpu.read(y2)], [16, 26, 36, 46]);
  for (const t of [x, y, y2]) gpu.dispose(t);
});

webgpu('many passes without a read are submitted in batches and stay ordered', async () => {
  if (!gpu) return;
  const y = gpu.tensor([1, 3], undefined, 'y'), one = gpu.tensor([3], new Float32Array([1, 2, 3]), 'one');
  for (let i = 0; i < 150; i++) gpu.addBias(y, one); // more passes than one batch holds
  assert.equal([...await gpu.read(y)], [150, 300, 450]);
  gpu.dispose(y);
  gpu.dispose(one);
});

webgpu('element-wise kernels cover more workgroups than one dispatch dimension allows', async () => {
  if (!gpu) return;
  // 65535 workgroups of 64 in x are not enough: the grid folds into y and the kernel must unfold it.
  const width = 7, rows = Math.ceil((65535 * 64 + 1000) / width);
  const y = gpu.tensor([rows, width], undefined, 'tall y'), bias = gpu.tensor([width], new Float32Array([1, 2, 3, 4, 5, 6, 7]), 'bias');
  gpu.addBias(y, bias);
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

webgpu.run();
