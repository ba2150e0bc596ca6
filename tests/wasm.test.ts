// WebAssembly-specific behaviour of the wasm backend (runtime/wasm/backend.ts) that the cross-backend op tests
// cannot see: linear memory growth, the 4 GiB wasm32 limit, use after dispose, a matmul large enough to
// cross every blocking boundary of asm/kernels/matmul.ts (K-blocks, row blocks, edge tiles) in all forms, and
// every kernel that threads share, on one thread and on three (uneven splits, and more threads than cores on a
// small machine), at shapes large enough that each call is cut into several chunks.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Backend, type Tensor, IGNORE_INDEX } from '../runtime/backend.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { type WasmBackend, createWasmBackend } from '../runtime/wasm/backend.js';
import { threadHost } from '../runtime/wasm/threads.js';
import { F32_REL } from './tolerances.js';
import { randomArray, relError, testBackends } from './helpers.js';

const wasm = suite('wasm');
let be: Backend;
wasm.before(async () => {
  const found = (await testBackends()).find((b) => b.name === 'wasm');
  be = found ?? (await createWasmBackend());
});

wasm('reports its CPU features and thread count', async () => {
  const threads = be.info.details.threads as number;
  assert.ok(threads >= 1 && threads <= (threadHost()?.cores ?? 1), `threads=${threads}`);
  assert.match(be.info.device, new RegExp(`WebAssembly SIMD128, ${threads} threads?`));
  const one = await createWasmBackend({ threads: 1 });
  assert.match(one.info.device, /WebAssembly SIMD128, 1 thread$/);
  one.destroy();
  await createWasmBackend({ threads: 0 }).then(() => assert.unreachable('threads=0 accepted'),
    (e: Error) => assert.match(e.message, /\[wasm\] threads=0 must be a positive integer/));
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

// One case per shared kernel: the ops it backs, on tensors made by `t` on the given backend (seeded random
// values, or zeros without a seed); every returned tensor is compared with the reference.
type Case = [what: string, run: (b: WasmBackend | ReferenceBackend, t: (shape: number[], seed?: number) => Tensor) => Tensor[]];
const sharedKernelCases: Case[] = [
  ['matmul 200x150x520 transB; batch 2 of 260x90x100 and batch 4 of 80x120x200, transA accumulating', (b, t) => {
    const c = t([200, 520], 1), c2 = t([2, 260, 100], 2), c4 = t([4, 80, 200], 30);
    b.matmul(t([200, 150], 3), t([520, 150], 4), c, { transB: true });
    b.matmul(t([2, 90, 260], 5), t([2, 90, 100], 6), c2, { transA: true, accumulate: true, alpha: 0.5, batch: 2 });
    b.matmul(t([4, 120, 80], 31), t([4, 120, 200], 32), c4, { transA: true, accumulate: true, batch: 4 });
    return [c, c2, c4];
  }],
  ['matmul 600x20x400 (split by rows)', (b, t) => {
    const c = t([600, 20]);
    b.matmul(t([600, 400], 7), t([400, 20], 8), c);
    return [c];
  }],
  ['attention and its backward, Bt=2 T=100 H=6 Hk=2 E=64 window=40', (b, t) => {
    const o = { heads: 6, kvHeads: 2, window: 40 };
    const q = t([2, 100, 384], 9), k = t([2, 100, 128], 10), v = t([2, 100, 128], 11), out = t([2, 100, 384]), lse = t([200, 6]);
    b.attention(q, k, v, out, lse, o);
    const dq = t([2, 100, 384]), dk = t([2, 100, 128], 12), dv = t([2, 100, 128], 13);
    b.attentionBackward(q, k, v, out, lse, t([2, 100, 384], 14), dq, dk, dv, o);
    return [out, lse, dq, dk, dv];
  }],
  ['attentionDecode of 8 new tokens after 700 cached, 16 heads over 4', (b, t) => {
    const kc = t([1, 720, 256], 15), vc = t([1, 720, 256], 16), out = t([1, 8, 1024]);
    b.attentionDecode(t([1, 8, 1024], 17), t([1, 8, 256], 18), t([1, 8, 256], 19), kc, vc, 700, out, { heads: 16, kvHeads: 4 });
    return [out, kc, vc];
  }],
  ['crossEntropy over 5 rows of 40001, one ignored', (b, t) => {
    const logits = t([5, 40001], 20), loss = t([1]), dlogits = t([5, 40001]);
    b.crossEntropy(logits, Int32Array.from([5, IGNORE_INDEX, 40000, 17, 0]), loss, dlogits);
    return [loss, dlogits];
  }],
  ['swiglu, its backward and add over 200003 elements', (b, t) => {
    const out = t([200003]), dgate = t([200003]), dup = t([200003]), y = t([200003], 21);
    const gate = t([200003], 22), up = t([200003], 23);
    b.swiglu(gate, up, out);
    b.swigluBackward(gate, up, t([200003], 24), dgate, dup);
    b.add(out, y);
    return [out, dgate, dup, y];
  }],
  ['dropout of 200003 elements, p=0.3, into another tensor and in place', (b, t) => {
    const x = t([200003], 33), out = t([200003]);
    b.dropout(x, out, 0.3, 77);
    b.dropout(x, x, 0.3, 0xfffffff0);
    return [out, x];
  }],
  ['blockAffine and batGrad, w [384, 640], r=32, 40 tokens', (b, t) => {
    const w = t([384, 640], 25), m = t([12, 32, 32], 26), dst = t([384, 640]), db = t([12, 32, 32]);
    b.blockAffine(w, m, t([12, 32, 32], 27), dst);
    b.batGrad(w, t([40, 384], 28), t([40, 640], 29), db);
    return [dst, db];
  }],
];

for (const threads of [1, 3]) {
  wasm(`every shared kernel matches the reference on ${threads} thread${threads > 1 ? 's' : ''}`, async () => {
    if (threads > 1 && !threadHost()) {
      console.warn('skipped: no WebAssembly threads here (SharedArrayBuffer and workers)');
      return;
    }
    const fast = await createWasmBackend({ threads });
    assert.is(fast.info.details.threads, threads);
    const ref = new ReferenceBackend();
    try {
      for (const [what, run] of sharedKernelCases) {
        const outputs = async (b: WasmBackend | ReferenceBackend) => {
          const made: Tensor[] = [];
          const t = (shape: number[], seed?: number) => {
            const size = shape.reduce((x, y) => x * y, 1);
            const x = b.tensor(shape, seed === undefined ? undefined : randomArray(size, seed));
            made.push(x);
            return x;
          };
          const values = await Promise.all(run(b, t).map((x) => b.read(x)));
          for (const x of made) b.dispose(x);
          return values;
        };
        const [got, want] = [await outputs(fast), await outputs(ref)];
        want.forEach((w, i) => {
          const err = relError(got[i], w);
          assert.ok(err <= F32_REL, `${what} on ${threads} threads: output ${i} rel err ${err.toExponential(2)} > ${F32_REL}`);
        });
      }
    } finally {
      fast.destroy();
    }
  });
}

wasm.run();
