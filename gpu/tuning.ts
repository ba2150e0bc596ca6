// Choosing kernel variants on the device: on a hardware adapter, the first backend made times each matmul
// design (the tiled one in each tile shape, the subgroup one where it runs) on two training-sized products,
// keeps the fastest, then times float16 arithmetic against float32 on a product with a float16 weight and
// keeps it only if faster, and times each attention design on a training-sized layer's forward and backward:
// a few launches each, a few hundred milliseconds on a GPU, most of it compiling.
// The choice is cached per adapter and driver (vendor, architecture, device and driver description) in a
// store the platform provides: a JSON file in Node (runtime/node.ts), IndexedDB in browsers; an entry is used
// only if it names a valid value of every variant that runs on this device, else the device is timed again.
// Software adapters (lavapipe, SwiftShader) take the CPU-friendly defaults without timing: their figures are
// known (docs/PLATFORM.md) and a barrier-heavy kernel there would make the first use slow.
import type { AttentionDims } from '../runtime/shapes.js';
import { attention, attentionBackward } from './attention.js';
import { type GpuContext, type KernelVariants, defaultVariants } from './device.js';
import { encodeMatmul } from './matmul.js';
import { ScratchBuffer } from './reusable.js';
import { VARIANT_CHOICES, subgroupMatmulFits, validVariants } from './variants.js';

/** Where chosen variants are kept between runs, by adapter key. */
export interface TuningStore {
  readonly name: string;
  get(key: string): Promise<KernelVariants | null>;
  put(key: string, variants: KernelVariants): Promise<void>;
}

let store: TuningStore | null = indexedDbStore();

/** Install the platform's store (Node: a file); null keeps choices for this process only. */
export function setTuningStore(s: TuningStore | null): void {
  store = s;
}

/** How a context's variants were chosen, for `osteon info`. */
export type VariantSource = 'forced' | 'software adapter' | 'cached' | 'tuned' | 'default';

/** The adapter and its driver, as one key. */
export function adapterKey(adapter: GPUAdapter): string {
  const i = adapter.info;
  return [i.vendor, i.architecture, i.device, i.description].map((s) => s || '-').join(' | ');
}

/** The size of the timed products: C[M, N] = A[M, K] B[K, N], and A W^T with W [N, K] (a linear layer). */
export interface TimedShape { m: number; n: number; k: number }

/** A SmolLM-135M-sized MLP projection over 256 tokens. */
const TRAINING_SHAPE: TimedShape = { m: 256, n: 1536, k: 576 };

/** The matmul designs this device runs, by name: blocked, tiled in each tile shape, subgroup where it fits. */
function matmulCandidates(ctx: GpuContext): Record<string, Partial<KernelVariants>> {
  const candidates: Record<string, Partial<KernelVariants>> = { blocked: { matmul: 'blocked' } };
  for (const matmulTile of VARIANT_CHOICES.matmulTile) candidates[`tiled ${matmulTile}`] = { matmul: 'tiled', matmulTile };
  if (subgroupMatmulFits(ctx)) candidates.subgroup = { matmul: 'subgroup' };
  return candidates;
}

/** Milliseconds per `launch` under each candidate's variants, after one untimed launch each; the context's
 *  variants are restored after. */
async function timeCandidates(ctx: GpuContext, candidates: Record<string, Partial<KernelVariants>>, launch: (name: string) => void,
  repeats: number): Promise<Record<string, number>> {
  const chosen = { ...ctx.variants };
  const ms: Record<string, number> = {};
  try {
    for (const [name, variants] of Object.entries(candidates)) {
      Object.assign(ctx.variants, chosen, variants);
      launch(name);
      await ctx.idle();
      const t0 = performance.now();
      for (let i = 0; i < repeats; i++) launch(name);
      await ctx.idle();
      ms[name] = (performance.now() - t0) / repeats;
    }
  } finally {
    Object.assign(ctx.variants, chosen);
  }
  return ms;
}

/** Milliseconds per launch of each candidate's products, one product for each of `transBs` (B stored as
 *  float16 where `halfB`). */
async function timeProducts(ctx: GpuContext, candidates: Record<string, Partial<KernelVariants>>, shape: TimedShape,
  transBs: readonly boolean[], halfB: boolean, repeats: number): Promise<Record<string, number>> {
  const { m, n, k } = shape;
  const a = ctx.storageBuffer(m * k * 4, 'tuning A'), b = ctx.storageBuffer(k * n * 4, 'tuning B'), c = ctx.storageBuffer(m * n * 4, 'tuning C');
  try {
    return await timeCandidates(ctx, candidates, (name) => {
      for (const transB of transBs) {
        encodeMatmul(ctx, `tuning matmul ${name}`, {
          a: { buffer: a, ld: k, offset: 0, stride: 0 }, b: { buffer: b, ld: transB ? k : n, offset: 0, stride: 0 },
          c: { buffer: c, ld: n, offset: 0, stride: 0 }, halfB, batch: 1, m, n, k, transA: false, transB, alpha: 1, accumulate: false,
        });
      }
    }, repeats);
  } finally {
    for (const x of [a, b, c]) ctx.release(x);
  }
}

/** Milliseconds per [M, K] x [K, N] plus [M, K] x [N, K]^T product of each matmul design this device runs
 *  ('blocked', 'tiled 64x64', ..., 'subgroup'). */
export function timeMatmul(ctx: GpuContext, shape = TRAINING_SHAPE, repeats = 2): Promise<Record<string, number>> {
  return timeProducts(ctx, matmulCandidates(ctx), shape, [false, true], false, repeats);
}

/** Milliseconds per [M, K] x [N, K]^T product with B float16 (a frozen weight's forward) in each halfMath
 *  ('f32': the context's matmul design; 'f16': the tiled one in the context's tile, with f16 arithmetic). */
export function timeHalfMath(ctx: GpuContext, shape = TRAINING_SHAPE, repeats = 2): Promise<Record<string, number>> {
  return timeProducts(ctx, { f32: { halfMath: 'f32' }, f16: { halfMath: 'f16' } }, shape, [true], true, repeats);
}

/** Milliseconds per forward and backward attention of each design (a SmolLM-135M-sized layer over 256
 *  tokens by default: 9 query heads, 3 key/value heads of 64). Zero inputs: the work does not depend on them. */
export async function timeAttention(ctx: GpuContext, d: AttentionDims = { batch: 1, seq: 256, heads: 9, kvHeads: 3, headDim: 64, window: null },
  repeats = 2): Promise<Record<string, number>> {
  const n = d.batch * d.seq;
  const rows = (heads: number, label: string, width = d.headDim) => ctx.storageBuffer(n * heads * width * 4, `tuning attention ${label}`);
  const t = {
    q: rows(d.heads, 'q'), k: rows(d.kvHeads, 'k'), v: rows(d.kvHeads, 'v'), out: rows(d.heads, 'out'), lse: rows(d.heads, 'lse', 1),
    dout: rows(d.heads, 'dout'), dq: rows(d.heads, 'dq'), dk: rows(d.kvHeads, 'dk'), dv: rows(d.kvHeads, 'dv'),
  };
  const delta = new ScratchBuffer(ctx, 'tuning attention delta');
  const designs = Object.fromEntries(VARIANT_CHOICES.attention.map((design) => [design, { attention: design }]));
  try {
    return await timeCandidates(ctx, designs, (design) => {
      attention(ctx, `tuning attention ${design}`, t.q, t.k, t.v, t.out, t.lse, d);
      attentionBackward(ctx, `tuning attention ${design} backward`, t, d, delta);
    }, repeats);
  } finally {
    for (const x of Object.values(t)) ctx.release(x);
    delta.release();
  }
}

const fastest = (ms: Record<string, number>) => Object.keys(ms).reduce((x, y) => (ms[y] < ms[x] ? y : x));

/** The fastest matmul design and tile, halfMath (float16 arithmetic only where it exists and wins) and
 *  attention design on this device. */
async function tune(ctx: GpuContext): Promise<KernelVariants> {
  const ms = await timeMatmul(ctx);
  const candidates = matmulCandidates(ctx);
  const tiles = Object.fromEntries(Object.entries(ms).filter(([name]) => candidates[name].matmul === 'tiled'));
  Object.assign(ctx.variants, defaultVariants(false), candidates[fastest(ms)], { matmulTile: candidates[fastest(tiles)].matmulTile });
  if (ctx.hasF16) ctx.variants.halfMath = fastest(await timeHalfMath(ctx)) as KernelVariants['halfMath'];
  ctx.variants.attention = fastest(await timeAttention(ctx)) as KernelVariants['attention'];
  return { ...ctx.variants };
}

/** Set the context's variants: forced ones stay, software adapters take the defaults, hardware adapters
 *  the cached choice or, the first time, the fastest in a short timing run (then cached). */
export async function chooseVariants(ctx: GpuContext, forced: boolean): Promise<VariantSource> {
  if (forced) return 'forced';
  if (ctx.software) return 'software adapter';
  const key = adapterKey(ctx.adapter);
  const cached = await store?.get(key).catch(() => null);
  if (validVariants(cached, ctx)) {
    Object.assign(ctx.variants, cached);
    return 'cached';
  }
  const tuned = await tune(ctx);
  await store?.put(key, tuned).catch(() => {}); // an unwritable cache only costs a re-tune
  return 'tuned';
}

/** Each variant in use and how it was chosen ("tiled (tuned)"), for `osteon info`: under forcing, the
 *  variants not forced are the adapter's defaults. */
export function variantDetails(ctx: GpuContext, source: VariantSource): Record<string, string> {
  const how = (op: keyof KernelVariants) => (source !== 'forced' ? source : op in ctx.forcedVariants ? 'forced' : 'default');
  const v = ctx.variants;
  return {
    'matmul kernel': `${v.matmul} (${how('matmul')})`,
    'matmul tile': `${v.matmulTile} (${how('matmulTile')})`,
    'float16 products': `${v.halfMath} arithmetic (${how('halfMath')})`,
    'attention kernel': `${v.attention} (${how('attention')})`,
  };
}

/** IndexedDB in a page or worker (database "osteon", object store "kernel-variants"); null elsewhere. */
function indexedDbStore(): TuningStore | null {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return null;
  const open = () => new Promise<IDBDatabase>((resolve, reject) => {
    const req = idb.open('osteon', 1);
    req.onupgradeneeded = () => { if (!req.result.objectStoreNames.contains('kernel-variants')) req.result.createObjectStore('kernel-variants'); };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const run = async <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> => {
    const db = await open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const req = fn(db.transaction('kernel-variants', mode).objectStore('kernel-variants'));
        req.onsuccess = () => resolve(req.result as T);
        req.onerror = () => reject(req.error);
      });
    } finally {
      db.close();
    }
  };
  return {
    name: 'IndexedDB osteon/kernel-variants',
    get: async (key) => (await run<KernelVariants | undefined>('readonly', (s) => s.get(key))) ?? null,
    put: async (key, v) => { await run('readwrite', (s) => s.put(v, key)); },
  };
}
