// Choosing kernel variants on the device: on a hardware adapter, the first backend made times each matmul
// design on a training-sized product and each attention design on a training-sized layer's forward and
// backward (a few launches each, well under a second on a GPU) and keeps the faster of each; the
// choice is cached per adapter and driver (vendor, architecture, device and driver description) in a store
// the platform provides: a JSON file in Node (runtime/node.ts), IndexedDB in browsers. Software adapters
// (lavapipe, SwiftShader) take the CPU-friendly defaults without timing: their figures are known
// (docs/PLATFORM.md) and a barrier-heavy kernel there would make the first use slow.
// It deliberately does not tune tile sizes yet: each design has one (matmul: 64 x 64 outputs per workgroup;
// attention: 16 rows).
import { type GpuContext, type KernelVariants, defaultVariants } from './device.js';
import { encodeMatmul } from './matmul.js';
import { attention, attentionBackward } from './attention.js';
import { ScratchBuffer } from './reusable.js';
import type { AttentionDims } from '../runtime/shapes.js';

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

const DESIGNS: KernelVariants['matmul'][] = ['blocked', 'tiled'];
const ATTENTION: KernelVariants['attention'][] = ['rows', 'tiled'];

/** Milliseconds per `launch` of each of the op's designs, after one untimed launch each; the context's
 *  variant is restored afterwards. */
async function timeDesigns<Op extends keyof KernelVariants>(ctx: GpuContext, op: Op, designs: KernelVariants[Op][],
  launch: (design: KernelVariants[Op]) => void, repeats: number): Promise<Record<string, number>> {
  const chosen = ctx.variants[op];
  const ms: Record<string, number> = {};
  try {
    for (const design of designs) {
      ctx.variants[op] = design;
      launch(design);
      await ctx.idle();
      const t0 = performance.now();
      for (let i = 0; i < repeats; i++) launch(design);
      await ctx.idle();
      ms[design] = (performance.now() - t0) / repeats;
    }
  } finally {
    ctx.variants[op] = chosen;
  }
  return ms;
}

/** Milliseconds per launch of each matmul design on C[M, N] = A[M, K] B[K, N] (the shape of a
 *  SmolLM-135M-sized MLP projection over 256 tokens by default). */
export async function timeMatmul(ctx: GpuContext, shape = { m: 256, n: 1536, k: 576 }, repeats = 4): Promise<Record<string, number>> {
  const { m, n, k } = shape;
  const a = ctx.storageBuffer(m * k * 4, 'tuning A'), b = ctx.storageBuffer(k * n * 4, 'tuning B'), c = ctx.storageBuffer(m * n * 4, 'tuning C');
  try {
    return await timeDesigns(ctx, 'matmul', DESIGNS, (design) => encodeMatmul(ctx, `tuning matmul ${design}`, {
      a: { buffer: a, ld: k, offset: 0, stride: 0 }, b: { buffer: b, ld: n, offset: 0, stride: 0 }, c: { buffer: c, ld: n, offset: 0, stride: 0 },
      batch: 1, m, n, k, transA: false, transB: false, alpha: 1, accumulate: false,
    }), repeats);
  } finally {
    for (const x of [a, b, c]) ctx.release(x);
  }
}

/** Milliseconds per forward and backward attention of each design (a SmolLM-135M-sized layer over 256
 *  tokens by default: 9 query heads, 3 key/value heads of 64). Zero inputs: the work does not depend on them. */
export async function timeAttention(ctx: GpuContext, d: AttentionDims = { batch: 1, seq: 256, heads: 9, kvHeads: 3, headDim: 64, window: null },
  repeats = 4): Promise<Record<string, number>> {
  const n = d.batch * d.seq;
  const rows = (heads: number, label: string, width = d.headDim) => ctx.storageBuffer(n * heads * width * 4, `tuning attention ${label}`);
  const t = {
    q: rows(d.heads, 'q'), k: rows(d.kvHeads, 'k'), v: rows(d.kvHeads, 'v'), out: rows(d.heads, 'out'), lse: rows(d.heads, 'lse', 1),
    dout: rows(d.heads, 'dout'), dq: rows(d.heads, 'dq'), dk: rows(d.kvHeads, 'dk'), dv: rows(d.kvHeads, 'dv'),
  };
  const delta = new ScratchBuffer(ctx, 'tuning attention delta');
  try {
    return await timeDesigns(ctx, 'attention', ATTENTION, (design) => {
      attention(ctx, `tuning attention ${design}`, t.q, t.k, t.v, t.out, t.lse, d);
      attentionBackward(ctx, `tuning attention ${design} backward`, t, d, delta);
    }, repeats);
  } finally {
    for (const x of [...Object.values(t), delta.get(0)]) ctx.release(x); // get(0): the delta buffer made above
  }
}

/** Set the context's variants: forced ones stay, software adapters take the defaults, hardware adapters
 *  the cached choice or, the first time, the faster in a short timing run (then cached). */
export async function chooseVariants(ctx: GpuContext, forced: boolean): Promise<VariantSource> {
  if (forced) return 'forced';
  if (ctx.software) return 'software adapter';
  const key = adapterKey(ctx.adapter);
  const cached = await store?.get(key).catch(() => null);
  if (cached && DESIGNS.includes(cached.matmul) && ATTENTION.includes(cached.attention)) {
    Object.assign(ctx.variants, cached);
    return 'cached';
  }
  const fastest = <T extends string>(designs: T[], ms: Record<string, number>) => designs.reduce((x, y) => (ms[y] < ms[x] ? y : x));
  Object.assign(ctx.variants, {
    ...defaultVariants(false), matmul: fastest(DESIGNS, await timeMatmul(ctx)), attention: fastest(ATTENTION, await timeAttention(ctx)),
  });
  await store?.put(key, { ...ctx.variants }).catch(() => {}); // an unwritable cache only costs a re-tune
  return 'tuned';
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
