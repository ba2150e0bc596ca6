// Every transformer op and every training op of Backend on every fast backend,
// against the reference on random inputs of awkward shapes: one token, sequence lengths
// that fill no tile, grouped-query attention with 3 query heads per key/value head, a sliding window
// shorter than the sequence, two sequences per batch, head dimensions 16 and 64, a 1000-token vocabulary
// with ignored targets, a 151936-token vocabulary (Qwen2.5's), weighted and accumulated losses, AdamW with weight
// decay and a gradient scale read from the device (skipping a non-finite one), accumulated squared norms, the
// step's clipping scale (stepStats),
// dropout masks (the same zeros as the reference, in place too), attention over a key/value cache.
// Each backend runs its own forward before its backward (as a model does), so the backward sees the
// backend's own saved lse and outputs. Backends lacking an op are left out, visibly; with
// OSTEON_REQUIRE_WEBGPU=1 the last test fails unless webgpu ran every op.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Backend, type Tensor, IGNORE_INDEX, dropoutKeeps, dropoutThreshold } from '../runtime/backend.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { F32_REL } from './tolerances.js';
import { fastBackends, randomArray, relError } from './helpers.js';

type Op = 'embedding' | 'embeddingBackward' | 'rmsNorm' | 'rmsNormBackward' | 'rmsNormWeightGrad' | 'rope' | 'ropeBackward' | 'attention' | 'attentionBackward' |
  'attentionDecode' | 'swiglu' | 'swigluBackward' | 'add' | 'crossEntropy' | 'adamw' | 'sumSquares' | 'stepStats' | 'dropout';
/** What the cases call: the training ops, and generation's cached attention. */
type Ops = Backend;

const kernels = suite('model kernels');
const ran = new Map<string, Set<Op>>(); // backend name -> ops compared against the reference

/** Creates tensors on one backend and disposes them all at the end of a case. */
class Scope {
  private readonly made: Tensor[] = [];
  constructor(readonly b: Ops) {}
  t(shape: number[], seed?: number, scale = 1): Tensor {
    const size = shape.reduce((x, y) => x * y, 1);
    const t = this.b.tensor(shape, seed === undefined ? undefined : randomArray(size, seed).map((v) => v * scale));
    this.made.push(t);
    return t;
  }
  /** A tensor holding exactly these values. */
  of(...values: number[]): Tensor {
    const t = this.b.tensor([values.length], Float32Array.from(values));
    this.made.push(t);
    return t;
  }
  dispose(): void {
    for (const t of this.made) this.b.dispose(t);
  }
}

/** Run `run` on the reference and on every fast backend with `op`; every named output must agree. With
 *  `sameZeros`, every output must also hold its exact zeros where the reference does (dropout masks). */
async function agree(op: Op, what: string, run: (s: Scope) => Promise<Record<string, Tensor>>, tol = F32_REL, sameZeros = false) {
  const results = async (b: Ops) => {
    const s = new Scope(b);
    try {
      const outs = await run(s);
      const values: Record<string, Float32Array> = {};
      for (const [k, t] of Object.entries(outs)) values[k] = await b.read(t);
      return values;
    } finally {
      s.dispose();
    }
  };
  const expected = await results(new ReferenceBackend());
  for (const b of await fastBackends()) {
    if (typeof (b as unknown as Record<string, unknown>)[op] !== 'function') continue;
    const got = await results(b as Ops);
    for (const [k, want] of Object.entries(expected)) {
      const err = relError(got[k], want);
      assert.ok(err <= tol, `${b.name} ${op} ${what}: ${k} rel err ${err.toExponential(2)} > ${tol}`);
      if (sameZeros) {
        const differ = want.findIndex((w, i) => (w === 0) !== (got[k][i] === 0));
        assert.is(differ, -1, `${b.name} ${op} ${what}: ${k}[${differ}] is ${got[k][differ]}, reference ${want[differ]}`);
      }
    }
    if (!ran.has(b.name)) ran.set(b.name, new Set());
    ran.get(b.name)!.add(op);
  }
}

kernels('embedding and its gradient: 1000-row table, first and last ids, repeats', async () => {
  const ids = Int32Array.from([0, 999, 17, 17, 512, 3, 998]);
  await agree('embedding', 'V=1000 D=24', async (s) => {
    const out = s.t([ids.length, 24], 1);
    s.b.embedding(ids, s.t([1000, 24], 2), out);
    return { out };
  });
  for (const accumulate of [false, true]) {
    await agree('embeddingBackward', `V=1000 D=24 accumulate=${accumulate}`, async (s) => {
      const dtable = s.t([1000, 24], 3);
      s.b.embeddingBackward(ids, s.t([ids.length, 24], 4), dtable, accumulate);
      return { dtable };
    });
  }
});

for (const [n, d] of [[1, 16], [5, 70], [3, 200]]) {
  kernels(`rmsNorm forward, backward (accumulating) and weight gradient: ${n} rows of ${d}`, async () => {
    await agree('rmsNorm', `${n}x${d}`, async (s) => {
      const y = s.t([n, d]), rstd = s.t([n]);
      s.b.rmsNorm(s.t([n, d], 3, 2), s.t([d], 4), 1e-5, y, rstd);
      return { y, rstd };
    });
    await agree('rmsNormBackward', `${n}x${d}`, async (s) => {
      const x = s.t([n, d], 3, 2), w = s.t([d], 4), rstd = s.t([n]);
      s.b.rmsNorm(x, w, 1e-5, s.t([n, d]), rstd);
      const dx = s.t([n, d], 5);
      s.b.rmsNormBackward(x, w, rstd, s.t([n, d], 6), dx);
      return { dx };
    });
    await agree('rmsNormWeightGrad', `${n}x${d}`, async (s) => {
      const x = s.t([n, d], 3, 2), rstd = s.t([n]);
      s.b.rmsNorm(x, s.t([d], 4), 1e-5, s.t([n, d]), rstd);
      const dw = s.t([d], 7);
      s.b.rmsNormWeightGrad(x, rstd, s.t([n, d], 6), dw);
      return { dw };
    });
  });
}

for (const [heads, e] of [[3, 16], [2, 64]]) {
  kernels(`rope and its backward: ${heads} heads of ${e}, positions up to 4095`, async () => {
    const positions = Int32Array.from([0, 1, 7, 63, 1000, 4095, 2]);
    const invFreq = Float32Array.from({ length: e / 2 }, (_, i) => 10000 ** (-2 * i / e));
    for (const op of ['rope', 'ropeBackward'] as const) {
      await agree(op, `H=${heads} E=${e}`, async (s) => {
        const x = s.t([positions.length, heads * e], 7);
        s.b[op](x, positions, invFreq);
        return { x };
      });
    }
    // Same frequencies, new positions (the next batch): the rotation must follow the new positions.
    await agree('rope', `H=${heads} E=${e}, positions changed between calls`, async (s) => {
      const x = s.t([positions.length, heads * e], 8);
      s.b.rope(x, positions, invFreq);
      s.b.rope(x, positions.map((p) => p + 3), invFreq);
      return { x };
    });
  });
}

const attentionCases = [
  { bt: 1, t: 1, heads: 2, kvHeads: 1, e: 16, window: null },
  { bt: 2, t: 13, heads: 6, kvHeads: 2, e: 16, window: null },
  { bt: 2, t: 13, heads: 3, kvHeads: 1, e: 64, window: 5 },
  { bt: 1, t: 37, heads: 4, kvHeads: 4, e: 64, window: null },
  { bt: 2, t: 9, heads: 6, kvHeads: 2, e: 16, window: 1 },
];

for (const c of attentionCases) {
  const what = `Bt=${c.bt} T=${c.t} H=${c.heads} Hk=${c.kvHeads} E=${c.e} window=${c.window}`;
  kernels(`attention forward and backward: ${what}`, async () => {
    const opts = { heads: c.heads, kvHeads: c.kvHeads, window: c.window };
    const inputs = (s: Scope) => ({
      q: s.t([c.bt, c.t, c.heads * c.e], 11, 2), k: s.t([c.bt, c.t, c.kvHeads * c.e], 12, 2), v: s.t([c.bt, c.t, c.kvHeads * c.e], 13),
      out: s.t([c.bt, c.t, c.heads * c.e]), lse: s.t([c.bt * c.t, c.heads]),
    });
    await agree('attention', what, async (s) => {
      const { q, k, v, out, lse } = inputs(s);
      s.b.attention(q, k, v, out, lse, opts);
      return { out, lse };
    });
    await agree('attentionBackward', what, async (s) => {
      const { q, k, v, out, lse } = inputs(s);
      s.b.attention(q, k, v, out, lse, opts);
      const dq = s.t(q.shape as number[], 14), dk = s.t(k.shape as number[], 15), dv = s.t(v.shape as number[], 16); // overwritten
      s.b.attentionBackward(q, k, v, out, lse, s.t(q.shape as number[], 17), dq, dk, dv, opts);
      return { dq, dk, dv };
    });
  });
}

// Generation's attention over a key/value cache: new rows appended at row P (the cache rows around them,
// filled with random values, must stay as they were and must not be read), one token or several, with and
// without earlier tokens, grouped-query heads, a window shorter than the cached sequence.
const decodeCases = [
  { bt: 1, tq: 1, past: 0, capacity: 4, heads: 2, kvHeads: 1, e: 16, window: null },
  { bt: 2, tq: 5, past: 0, capacity: 9, heads: 6, kvHeads: 2, e: 16, window: null },
  { bt: 2, tq: 1, past: 7, capacity: 11, heads: 3, kvHeads: 1, e: 64, window: 4 },
  { bt: 1, tq: 5, past: 6, capacity: 11, heads: 4, kvHeads: 4, e: 64, window: null },
  { bt: 2, tq: 5, past: 3, capacity: 12, heads: 6, kvHeads: 2, e: 16, window: 3 },
];

for (const c of decodeCases) {
  const what = `Bt=${c.bt} Tq=${c.tq} P=${c.past} C=${c.capacity} H=${c.heads} Hk=${c.kvHeads} E=${c.e} window=${c.window}`;
  kernels(`attentionDecode: ${what}`, async () => {
    await agree('attentionDecode', what, async (s) => {
      const kv = c.kvHeads * c.e;
      const kCache = s.t([c.bt, c.capacity, kv], 71, 2), vCache = s.t([c.bt, c.capacity, kv], 72);
      const out = s.t([c.bt, c.tq, c.heads * c.e], 73); // overwritten
      s.b.attentionDecode(s.t([c.bt, c.tq, c.heads * c.e], 74, 2), s.t([c.bt, c.tq, kv], 75, 2), s.t([c.bt, c.tq, kv], 76),
        kCache, vCache, c.past, out, { heads: c.heads, kvHeads: c.kvHeads, window: c.window });
      return { out, kCache, vCache };
    });
  });
}

kernels('swiglu, its backward, and add', async () => {
  const shape = [5, 37];
  await agree('swiglu', '5x37', async (s) => {
    const out = s.t(shape);
    s.b.swiglu(s.t(shape, 21, 6), s.t(shape, 22), out);
    return { out };
  });
  await agree('swigluBackward', '5x37', async (s) => {
    const dgate = s.t(shape, 23), dup = s.t(shape, 24); // overwritten
    s.b.swigluBackward(s.t(shape, 21, 6), s.t(shape, 22), s.t(shape, 25), dgate, dup);
    return { dgate, dup };
  });
  await agree('add', '5x37', async (s) => {
    const y = s.t(shape, 26);
    s.b.add(s.t(shape, 27), y);
    return { y };
  });
});

for (const [n, vocab] of [[9, 1000], [3, 5], [1, 300], [2, 151936]]) {
  kernels(`crossEntropy: ${n} rows of a ${vocab}-token vocabulary, some targets -100`, async () => {
    const targets = Int32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? IGNORE_INDEX : (i * 337 + 5) % vocab));
    await agree('crossEntropy', `N=${n} V=${vocab}`, async (s) => {
      const logits = s.t([n, vocab], 31, 8), loss = s.t([1]), lossOnly = s.t([1]), dlogits = s.t([n, vocab], 32);
      s.b.crossEntropy(logits, targets, loss, dlogits);
      s.b.crossEntropy(logits, targets, lossOnly, null);
      // A step's loss: chunks weighted by their share, added into one scalar.
      const summed = s.t([1], 33);
      s.b.crossEntropy(logits, targets, summed, null, { weight: 0.25, accumulate: false });
      s.b.crossEntropy(logits, targets, summed, null, { weight: 0.5, accumulate: true });
      return { loss, lossOnly, dlogits, summed };
    });
  });
}

kernels('adamw: two steps with weight decay and a gradient scale, then a non-finite scale that changes nothing', async () => {
  await agree('adamw', 'P=1000', async (s) => {
    const p = s.t([1000], 41), m = s.t([1000]), v = s.t([1000]);
    const scale = s.of(0.37, 5, 7), failed = s.of(NaN);
    const step = (n: number, by: Tensor) => s.b.adamw(p, s.t([1000], 41 + n), m, v, by,
      { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: n });
    step(1, scale);
    step(2, scale);
    step(3, failed);
    return { p, m, v };
  });
});

kernels('stepStats: the clipping scale, the loss and the norm; NaN for a non-finite step, and it stays', async () => {
  const cases: [loss: number, normSq: number, maxNorm: number, divisor: number, want: [number, number, number]][] = [
    [2.5, 16, 1, 2, [0.25, 2.5, 2]], // norm 4 / 2 = 2 over 1: clipped by 1/2, averaged over 2
    [2.5, 16, 0, 2, [0.5, 2.5, 2]], //  no clipping
    [1.5, 0.25, 1, 1, [1, 1.5, 0.5]], // under the limit
    [1.5, 0, 1, 1, [1, 1.5, 0]], //     a zero gradient
  ];
  for (const b of [new ReferenceBackend(), ...(await fastBackends())]) {
    const s = new Scope(b);
    try {
      const stats = s.t([3]);
      for (const [loss, normSq, maxNorm, divisor, want] of cases) {
        b.stepStats(s.of(loss), s.of(normSq), { maxNorm, divisor }, stats);
        const got = [...await b.read(stats)];
        assert.ok(got.every((x, i) => Math.abs(x - want[i]) <= F32_REL * Math.abs(want[i])), `${b.name}: ${got} for ${want}`);
      }
      for (const [loss, normSq] of [[NaN, 1], [Infinity, 1], [1, Infinity], [1, NaN], [1, 1]]) {
        b.stepStats(s.of(loss), s.of(normSq), { maxNorm: 1, divisor: 1 }, stats);
        const [scale, gotLoss] = await b.read(stats);
        assert.ok(Number.isNaN(scale), `${b.name}: loss ${loss}, norm^2 ${normSq} gives the scale ${scale}, not NaN (the last case: NaN stays)`);
        assert.ok(Object.is(gotLoss, Math.fround(loss)), `${b.name}: the loss ${gotLoss} comes back as ${loss}`);
      }
      if (b.name !== 'reference') {
        if (!ran.has(b.name)) ran.set(b.name, new Set());
        ran.get(b.name)!.add('stepStats');
      }
    } finally {
      s.dispose();
    }
  }
});

kernels('sumSquares: overwrite, then accumulate over tensors of several sizes', async () => {
  await agree('sumSquares', 'P=1, 300, 5000', async (s) => {
    const out = s.t([1], 51);
    s.b.sumSquares(s.t([300], 52), out, false);
    s.b.sumSquares(s.t([5000], 53), out, true);
    s.b.sumSquares(s.t([1], 54), out, true);
    return { out };
  });
});

// Inputs are kept away from zero so that every zero of an output is a dropped element.
for (const [size, p, seed] of [[1000, 0.1, 7], [4099, 0.5, 0xffffffff], [77, 0.9, 12345], [513, 0, 3]]) {
  kernels(`dropout: P=${size} p=${p} seed=${seed}, into a new tensor and in place, twice with one seed`, async () => {
    const x = (s: Scope) => {
      const t = s.t([size]);
      s.b.write(t, randomArray(size, 61).map((v) => v + 2 * Math.sign(v || 1)));
      return t;
    };
    await agree('dropout', `P=${size} p=${p}`, async (s) => {
      const input = x(s), out = s.t([size], 62), inPlace = x(s), twice = x(s);
      s.b.dropout(input, out, p, seed);
      s.b.dropout(inPlace, inPlace, p, seed);
      s.b.dropout(twice, twice, p, seed);
      s.b.dropout(twice, twice, p, seed); // the backward applies the same mask: zeros stay where they were
      return { out, inPlace, twice };
    }, F32_REL, true);
  });
}

kernels('dropout: the mask is dropoutKeeps, p = 0 keeps every value, p outside [0, 1) is refused', async () => {
  const r = new ReferenceBackend(), size = 2000, p = 0.25, seed = 99;
  const x = r.tensor([size], randomArray(size, 63).map((v) => v + 2 * Math.sign(v || 1))), out = r.tensor([size]);
  r.dropout(x, out, p, seed);
  const got = await r.read(out), threshold = dropoutThreshold(p);
  const dropped = got.filter((v) => v === 0).length;
  assert.ok(got.every((v, i) => (v !== 0) === dropoutKeeps(i, seed, threshold)), 'reference mask differs from dropoutKeeps');
  assert.ok(Math.abs(dropped / size - p) < 0.05, `${dropped} of ${size} dropped at p=${p}`);
  for (const b of [r, ...(await fastBackends()) as Ops[]]) {
    if (typeof b.dropout !== 'function') continue;
    const t = b.tensor([size], await r.read(x)), o = b.tensor([size]);
    b.dropout(t, o, 0, seed);
    assert.equal(await b.read(o), await r.read(x), `${b.name}: p = 0 changed values`);
    assert.throws(() => b.dropout(t, o, 1, seed), /\[dropout\] p=1 must be in \[0, 1\)/);
    b.dispose(t);
    b.dispose(o);
  }
});

kernels('attentionDecode: a cache too small for the new tokens is refused', async () => {
  for (const b of [new ReferenceBackend(), ...(await fastBackends()) as Ops[]]) {
    if (typeof b.attentionDecode !== 'function') continue;
    const s = new Scope(b);
    try {
      const q = s.t([1, 2, 32]), kv = s.t([1, 2, 16]), cache = s.t([1, 4, 16]);
      assert.throws(() => b.attentionDecode(q, kv, kv, cache, cache, 3, s.t([1, 2, 32]), { heads: 2, kvHeads: 1 }),
        /\[attentionDecode\] 3 cached \+ 2 new tokens exceed the cache capacity 4/);
    } finally {
      s.dispose();
    }
  }
});

kernels('every op ran on webgpu (required when OSTEON_REQUIRE_WEBGPU=1)', async () => {
  const all: Op[] = ['embedding', 'embeddingBackward', 'rmsNorm', 'rmsNormBackward', 'rmsNormWeightGrad', 'rope', 'ropeBackward', 'attention', 'attentionBackward', 'attentionDecode',
    'swiglu', 'swigluBackward', 'add', 'crossEntropy', 'adamw', 'sumSquares', 'stepStats', 'dropout'];
  for (const [name, ops] of ran) console.log(`  model kernels on ${name}: ${ops.size} of ${all.length} ops`);
  if (!ran.size) console.warn('skipped: no fast backend implements the model ops (compared with the reference only)');
  if (process.env.OSTEON_REQUIRE_WEBGPU === '1') {
    const missing = all.filter((op) => !ran.get('webgpu')?.has(op));
    assert.equal(missing, [], `ops not run on webgpu: ${missing.join(', ')}`);
  }
});

kernels.run();
