// WebAssembly-specific behaviour of the wasm backend (runtime/wasm/backend.ts) that the cross-backend op tests
// cannot see: linear memory growth, the 4 GiB wasm32 limit, use after dispose, and a matmul large enough to
// cross every blocking boundary of asm/kernels/matmul.ts (K-blocks, row blocks, edge tiles) in all forms.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend } from '../runtime/backend.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { createWasmBackend } from '../runtime/wasm/backend.js';
import { F32_REL } from './tolerances.js';
import { randomArray, relError, testBackends } from './helpers.js';

const wasm = suite('wasm');
let be: Backend;
wasm.before(async () => {
  const found = (await testBackends()).find((b) => b.name === 'wasm');
  be = found ?? (await createWasmBackend());
});

wasm('reports its CPU features', () => {
  assert.match(be.info.device, /WebAssembly SIMD128, 1 thread/);
});

wasm('memory growth keeps earlier tensors valid', async () => {
  const first = randomArray(1000, 7);
  const t = be.tensor([10, 100], first, 'early');
  // 96 MiB forces the memory to grow (and every old view of it to detach) several times over.
  const big = be.tensor([24, 1024, 1024], undefined, 'big');
  assert.equal(await be.read(t), first);
  be.write(big, new Float32Array(big.size).fill(2));
  const out = be.tensor([10, 100], undefined, 'after');
  be.copy(t, out);
  assert.equal(await be.read(out), first);
  for (const x of [t, big, out]) be.dispose(x);
});

wasm('freed memory is reused and comes back zeroed', async () => {
  const a = be.tensor([256], new Float32Array(256).fill(5), 'a');
  be.dispose(a);
  const b = be.tensor([256], undefined, 'b');
  assert.equal(await be.read(b), new Float32Array(256));
  be.dispose(b);
});

wasm('interleaved allocations and frees never overlap', async () => {
  // Random sizes, each tensor filled with its own id; frees in random order exercise splitting and coalescing.
  const rand = randomArray(600, 21);
  const live: { t: ReturnType<Backend['tensor']>; id: number }[] = [];
  for (let step = 0; step < 300; step++) {
    if (live.length > 0 && rand[step] < -0.2) {
      const [gone] = live.splice(Math.floor(Math.abs(rand[step + 300]) * live.length), 1);
      be.dispose(gone.t);
    } else {
      const size = 1 + Math.floor(Math.abs(rand[step + 300]) * 5000);
      live.push({ t: be.tensor([size], new Float32Array(size).fill(step), `t${step}`), id: step });
    }
  }
  for (const { t, id } of live) {
    assert.ok((await be.read(t)).every((v) => v === id), `${t.label} was overwritten`);
    be.dispose(t);
  }
});

wasm('use after dispose is an error', async () => {
  const t = be.tensor([2, 2], undefined, 'gone');
  be.dispose(t);
  assert.throws(() => be.write(t, new Float32Array(4)), /\[wasm\] gone was disposed/);
  const c = be.tensor([2, 2]);
  assert.throws(() => be.matmul(t, c, c), /gone was disposed/);
  let rejected = false;
  await be.read(t).catch((e: Error) => { rejected = /gone was disposed/.test(e.message); });
  assert.ok(rejected, 'read of a disposed tensor must reject');
  be.dispose(c);
});

wasm('a tensor from another backend is rejected', () => {
  const other = new ReferenceBackend().tensor([2, 2], undefined, 'foreign');
  const c = be.tensor([2, 2]);
  assert.throws(() => be.matmul(other, c, c), /\[wasm\] foreign belongs to another backend/);
  be.dispose(c);
});

wasm('an allocation over 4 GiB fails clearly, and the backend keeps working', async () => {
  assert.throws(() => be.tensor([1024, 1024, 1025], undefined, 'huge'),
    (e: Error) => /\[wasm\] tensor huge \[1024, 1024, 1025\] needs 4299161600 bytes .*4 GiB limit/.test(e.message));
  const t = be.tensor([3], new Float32Array([1, 2, 3]));
  assert.equal(await be.read(t), new Float32Array([1, 2, 3]));
  be.dispose(t);
});

wasm('large matmuls match the reference in every form', async () => {
  const ref = new ReferenceBackend();
  // 257 x 300 x 129 crosses the K-block and row-block edges; 9 x 260 x 1100 crosses the column block.
  for (const [m, k, n] of [[257, 300, 129], [9, 260, 1100]]) for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const a = randomArray(m * k, 11), b = randomArray(k * n, 12), c = randomArray(m * n, 13);
      const shapes = [transA ? [k, m] : [m, k], transB ? [n, k] : [k, n], [m, n]];
      const o = { transA, transB, alpha: 0.75, accumulate: transA };
      const run = async (bk: Backend) => {
        const [ta, tb, tc] = [a, b, c].map((d, i) => bk.tensor(shapes[i], d));
        bk.matmul(ta, tb, tc, o);
        const out = await bk.read(tc);
        for (const t of [ta, tb, tc]) bk.dispose(t);
        return out;
      };
      const err = relError(await run(be), await run(ref));
      assert.ok(err <= F32_REL, `matmul ${m}x${k}x${n} ${JSON.stringify(o)} rel err ${err.toExponential(2)} > ${F32_REL}`);
    }
  }
});

wasm.run();
