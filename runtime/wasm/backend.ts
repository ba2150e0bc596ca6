// The WebAssembly backend: every op of runtime/backend.ts, the model ops of runtime/model/ops.ts, the training
// ops of runtime/train/ops.ts and the cached attention of runtime/generate/ops.ts, on the SIMD kernels of
// asm/kernels. Tensors are blocks of the module's linear memory (asm/kernels/heap.ts); this file is the edge
// where every shape, ownership and size is checked once (runtime/op-shapes.ts, runtime/model/op-shapes.ts), so
// the kernels run unchecked. With more than one thread the memory is shared and the heavy kernels (matmul, Bat,
// attention, cross-entropy, swiglu, add, dropout) are split among worker threads (runtime/wasm/threads.ts);
// with one, the plain build/kernels.wasm runs on the calling thread.
// It deliberately holds no typed-array view across calls: memory can grow inside any allocation, which detaches
// (or, shared, outgrows) old views, so each access takes a fresh view of the current buffer.
// Letters: see runtime/backend.ts and runtime/model/ops.ts.
import singleBytes from '../../build/kernels.wasm';
import threadBytes from '../../build/kernels-threads.wasm';
import { type BackendInfo, type MatmulOptions, type Tensor, matmulDims, sizeOf } from '../backend.js';
import { batDims, batGradDims, biasDims, blockDeltaDims, sameSize, tileDims } from '../op-shapes.js';
import { type AttentionOptions } from '../model/ops.js';
import { attentionDims, crossEntropyDims, embeddingDims, rmsNormDims, ropeDims } from '../model/op-shapes.js';
import { type AdamWStep, type TrainBackend, dropoutThreshold } from '../train/ops.js';
import { type GenerateBackend, attentionDecodeDims } from '../generate/ops.js';
import { CONTROL_BYTES, ThreadPool, threadHost } from './threads.js';

/** build/kernels*.wasm's exports (asm/kernels/index.ts); pointers are byte offsets, sizes element counts.
 *  Kernels ending in (chunk, chunks, thread) are the ones threads share (asm/kernels/parts.ts). */
interface Kernels {
  memory: WebAssembly.Memory;
  PACK_BYTES: WebAssembly.Global;
  BAT_GROUP: WebAssembly.Global;
  alloc(bytes: number): number;
  free(ptr: number): void;
  addBias(y: number, bias: number, n: number, out: number): void;
  chunkSum(x: number, s: number, n: number, inF: number, r: number): void;
  chunkScatterAdd(ds: number, dx: number, n: number, inF: number, r: number): void;
  tileAdd(p: number, y: number, n: number, out: number, m: number): void;
  foldSum(g: number, folded: number, n: number, out: number, m: number): void;
  blockDelta(b: number, w: number, out: number, inF: number, r: number, m: number, sign: number, scratch: number): void;
  embedding(ids: number, table: number, out: number, n: number, width: number): void;
  rmsNorm(x: number, w: number, eps: number, y: number, rstd: number, n: number, width: number): void;
  rmsNormBackward(x: number, w: number, rstd: number, dy: number, dx: number, n: number, width: number): void;
  rope(x: number, table: number, n: number, heads: number, half: number): void;
  attentionScratch(keys: number, backward: boolean): number;
  attentionDecodeAppend(kNew: number, vNew: number, kCache: number, vCache: number, batch: number, tq: number, row: number, capacity: number, past: number): void;
  adamw(p: number, g: number, m: number, v: number, count: number,
    lr: number, b1: number, a1: number, b2: number, a2: number, eps: number, decay: number, scale: number, c1: number, c2: number): void;
  sumSquares(t: number, out: number, count: number, accumulate: boolean): void;
}

/** The kernels threads share, by name (each takes chunk, chunks, thread after these arguments). */
const PARALLEL = ['matmul', 'blockAffine', 'batGrad', 'attention', 'attentionBackward', 'attentionDecode',
  'crossEntropy', 'swiglu', 'swigluBackward', 'add', 'dropout'] as const;
type Parallel = typeof PARALLEL[number];

/** Least work per chunk (multiply-adds, or elements for element-wise kernels): a call with less stays on one
 *  thread, since waking the workers and packing per chunk cost tens of microseconds. */
const MIN_PARALLEL_MACS = 1 << 21;
const MIN_PARALLEL_ELEMENTS = 1 << 16;
/** Chunks per thread for a call that threads share: several, so that a thread the OS delays costs little. */
const CHUNKS_PER_THREAD = 4;
/** Fewest columns (or rows) of C per matmul chunk: each chunk packs its own copy of A's panels (matmul.ts), an
 *  overhead of about 1 / (chunk width / 16) of its work. */
const MIN_CHUNK_SPAN = 128;

/** wasm32 addresses linear memory with 32 bits; the allocator stops one 64 KiB page short of that. */
const MEMORY_LIMIT = 4 * 1024 ** 3 - 65536;
const MAX_PAGES = 65536;

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

class WasmTensor implements Tensor {
  readonly size: number;
  constructor(readonly shape: readonly number[], readonly label: string, public ptr: number, readonly owner: WasmBackend) {
    this.size = sizeOf(shape);
  }
}

/** rope's cos/sin table for one (positions, invFreq, direction), kept while the same call repeats
 *  (every layer of a forward or backward pass rotates with the same positions). */
interface RopeTable { positions: Int32Array; invFreq: Float32Array; sign: number; table: Float32Array }

export class WasmBackend implements TrainBackend, GenerateBackend {
  readonly name = 'wasm' as const;
  readonly info: BackendInfo;
  private k: Kernels | null;
  /** matmul.ts packing scratch, one block of PACK_BYTES per thread, held for the backend's lifetime. */
  private readonly pack: number;
  private ropeCache: RopeTable | null = null;

  constructor(kernels: Kernels, private readonly pool: ThreadPool | null) {
    this.k = kernels;
    const threads = pool?.threads ?? 1;
    this.info = {
      name: 'wasm',
      device: `WebAssembly SIMD128, ${threads} thread${threads > 1 ? 's' : ''}`,
      details: { simd128: true, threads, memoryLimit: '4 GiB (wasm32)', matmulTile: '2x16 f32x4' },
    };
    this.pack = this.alloc(threads * (kernels.PACK_BYTES.value as number), 'matmul packing scratch');
  }

  private get kernels(): Kernels {
    if (!this.k) throw new Error('[wasm] the backend was destroyed; create a new one');
    return this.k;
  }

  /** Threads of the pool (1 without one). */
  private get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /** Chunks for a call of `work` units that splits into at most `most` pieces, each of at least `least` units:
   *  up to CHUNKS_PER_THREAD per thread, and 1 (the calling thread alone) without a pool or while it is paused. */
  private chunks(work: number, least: number, most: number): number {
    if (!this.pool?.active) return 1;
    return Math.max(1, Math.min(most, Math.floor(work / least), CHUNKS_PER_THREAD * this.pool.threads));
  }

  /** Run a shared kernel in `chunks` chunks (from `chunks()`) on the pool, or whole on this thread. */
  private run(name: Parallel, chunks: number, ...args: (number | boolean)[]): void {
    const numbers = args.map(Number);
    if (chunks > 1) this.pool!.run(this.kernels as unknown as Record<string, unknown>, name, numbers, chunks);
    else (this.kernels as unknown as Record<string, (...a: number[]) => void>)[name](...numbers, 0, 1, 0);
  }

  /** A block of `bytes` bytes of linear memory, or a clear error naming the size and the 4 GiB limit. */
  private alloc(bytes: number, what: string): number {
    const k = this.kernels;
    const grown = k.memory.buffer.byteLength;
    if (bytes > MEMORY_LIMIT) {
      throw new Error(`[wasm] ${what} needs ${bytes} bytes (${gib(bytes)}), over the 4 GiB limit of wasm32 linear ` +
        `memory; use the webgpu backend or split the tensor`);
    }
    const ptr = k.alloc(bytes) >>> 0; // addresses past 2 GiB come back as negative i32
    if (ptr === 0) {
      throw new Error(`[wasm] cannot allocate ${bytes} bytes (${gib(bytes)}) for ${what}: linear memory has grown to ` +
        `${gib(grown)} of its 4 GiB limit (or the host refused to grow it); use the webgpu backend (--backend webgpu), ` +
        'a smaller --batch or --seq, or --recompute (keeps one layer\'s activations at a time)');
    }
    return ptr;
  }

  /** Scratch of `bytes` bytes for one kernel call, freed afterwards even if the call throws. */
  private withScratch(bytes: number, what: string, run: (ptr: number) => void): void {
    const ptr = this.alloc(bytes, what);
    try {
      run(ptr);
    } finally {
      this.kernels.free(ptr);
    }
  }

  /** Scratch holding a copy of CPU data (ids, targets, tables) for one kernel call. */
  private withHostData(data: Int32Array | Float32Array, what: string, run: (ptr: number) => void): void {
    this.withScratch(Math.max(data.byteLength, 4), what, (ptr) => {
      const View = data instanceof Int32Array ? Int32Array : Float32Array;
      new View(this.kernels.memory.buffer, ptr, data.length).set(data);
      run(ptr);
    });
  }

  /** The tensor's address, after checking that it is alive and belongs to this backend. */
  private ptr(t: Tensor): number {
    if (!(t instanceof WasmTensor) || t.owner !== this) throw new Error(`[wasm] ${t.label} belongs to another backend`);
    if (t.ptr === 0) throw new Error(`[wasm] ${t.label} was disposed`);
    return t.ptr;
  }

  /** A view of the tensor on the current memory buffer (valid until the next allocation). */
  private view(t: Tensor): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, this.ptr(t), t.size);
  }

  tensor(shape: readonly number[], init?: Float32Array, label = 'tensor'): Tensor {
    const size = sizeOf(shape);
    const what = `tensor ${label} [${shape.join(', ')}]`;
    const t = new WasmTensor([...shape], label, this.alloc(size * 4, what), this);
    // Freed blocks are reused, so a new tensor is zeroed explicitly.
    if (init) this.write(t, init);
    else this.view(t).fill(0);
    return t;
  }
  async read(t: Tensor): Promise<Float32Array> {
    return this.view(t).slice();
  }
  write(t: Tensor, src: Float32Array): void {
    if (src.length !== t.size) throw new Error(`[write] ${t.label} holds ${t.size} values, got ${src.length}`);
    this.view(t).set(src);
  }
  copy(src: Tensor, dst: Tensor): void {
    sameSize('copy', src, dst);
    this.view(dst).set(this.view(src));
  }
  dispose(t: Tensor): void {
    if (!(t instanceof WasmTensor) || t.owner !== this || t.ptr === 0 || !this.k) return;
    this.k.free(t.ptr);
    t.ptr = 0;
  }
  async sync(): Promise<void> {}
  destroy(): void {
    this.pool?.stop();
    this.k = null;
  }

  matmul(a: Tensor, b: Tensor, c: Tensor, o: MatmulOptions = {}): void {
    const d = matmulDims(a, b, c, o);
    // Whole batch entries per chunk when there are enough (asm/kernels/matmul.ts), else slices of C.
    const most = d.batch >= this.threads ? d.batch : Math.floor(Math.max(d.m, d.n) / MIN_CHUNK_SPAN);
    this.run('matmul', this.chunks(d.batch * d.m * d.n * d.k, MIN_PARALLEL_MACS, most), this.ptr(a), this.ptr(b), this.ptr(c),
      d.batch, d.m, d.n, d.k, !!o.transA, !!o.transB, o.alpha ?? 1, !!o.accumulate, this.pack);
  }
  addBias(y: Tensor, bias: Tensor): void {
    const d = biasDims(y, bias);
    this.kernels.addBias(this.ptr(y), this.ptr(bias), d.n, d.out);
  }
  chunkSum(x: Tensor, s: Tensor): void {
    const d = tileDims('chunkSum', x, s, false);
    this.kernels.chunkSum(this.ptr(x), this.ptr(s), d.n, d.wide, d.r);
  }
  chunkScatterAdd(ds: Tensor, dx: Tensor): void {
    const d = tileDims('chunkScatterAdd', dx, ds, false);
    this.kernels.chunkScatterAdd(this.ptr(ds), this.ptr(dx), d.n, d.wide, d.r);
  }
  tileAdd(p: Tensor, y: Tensor): void {
    const d = tileDims('tileAdd', y, p, true);
    this.kernels.tileAdd(this.ptr(p), this.ptr(y), d.n, d.wide, d.r);
  }
  foldSum(g: Tensor, folded: Tensor): void {
    const d = tileDims('foldSum', g, folded, true);
    this.kernels.foldSum(this.ptr(g), this.ptr(folded), d.n, d.wide, d.r);
  }
  blockDelta(b: Tensor, w: Tensor, sign: 1 | -1): void {
    const d = blockDeltaDims(b, w);
    const [bp, wp] = [this.ptr(b), this.ptr(w)];
    this.withScratch(d.m * d.r * 4, `blockDelta scratch [${d.m}, ${d.r}]`,
      (scratch) => this.kernels.blockDelta(bp, wp, d.out, d.inF, d.r, d.m, sign, scratch));
  }
  blockAffine(w: Tensor, m: Tensor, c: Tensor, dst: Tensor): void {
    const d = batDims('blockAffine', w, m, c);
    sameSize('blockAffine', w, dst);
    if (dst === w) throw new Error(`[blockAffine] dst ${dst.label} must not alias w; pass a separate tensor`);
    const chunks = this.chunks(d.out * d.inF * d.r, MIN_PARALLEL_MACS, d.out / d.r);
    const threads = chunks > 1 ? this.threads : 1;
    const ptrs = [w, m, c, dst].map((t) => this.ptr(t));
    // I + m_i, one [R, R] square per thread (asm/kernels/bat.ts).
    this.withScratch(threads * d.r * d.r * 4, `blockAffine I + m [${threads}, ${d.r}, ${d.r}]`, (shifted) =>
      this.run('blockAffine', chunks, ...ptrs, d.out, d.inF, d.r, shifted, this.pack));
  }
  batGrad(w: Tensor, g: Tensor, x: Tensor, db: Tensor): void {
    const d = batGradDims(w, g, x, db);
    const [wp, gp, xp, dbp] = [this.ptr(w), this.ptr(g), this.ptr(x), this.ptr(db)];
    const group = this.kernels.BAT_GROUP.value as number;
    // About two output blocks per chunk: x is packed once per chunk's group (asm/kernels/bat.ts), so fewer,
    // larger chunks pack less, while more of them balance the threads.
    const chunks = this.chunks(d.n * d.out * d.inF, MIN_PARALLEL_MACS, Math.ceil(d.out / d.r / 2));
    const threads = chunks > 1 ? this.threads : 1;
    // A few [R, I] strips of g^T x per thread at a time, never the whole [O, I] product.
    this.withScratch(threads * group * d.r * d.inF * 4, `batGrad strips [${threads}, ${group}, ${d.r}, ${d.inF}]`,
      (strips) => this.run('batGrad', chunks, wp, gp, xp, dbp, d.n, d.out, d.inF, d.r, strips, this.pack));
  }

  // ---- transformer ops (ModelBackend) ----------------------------------------------------------------
  embedding(ids: Int32Array, table: Tensor, out: Tensor): void {
    const d = embeddingDims(ids, table, out);
    const [tp, op] = [this.ptr(table), this.ptr(out)];
    this.withHostData(ids, `embedding ids [${d.n}]`, (p) => this.kernels.embedding(p, tp, op, d.n, d.width));
  }
  rmsNorm(x: Tensor, w: Tensor, eps: number, y: Tensor, rstd: Tensor): void {
    const d = rmsNormDims('rmsNorm', x, w, rstd, y);
    this.kernels.rmsNorm(this.ptr(x), this.ptr(w), eps, this.ptr(y), this.ptr(rstd), d.n, d.width);
  }
  rmsNormBackward(x: Tensor, w: Tensor, rstd: Tensor, dy: Tensor, dx: Tensor): void {
    const d = rmsNormDims('rmsNormBackward', x, w, rstd, dy, dx);
    this.kernels.rmsNormBackward(this.ptr(x), this.ptr(w), this.ptr(rstd), this.ptr(dy), this.ptr(dx), d.n, d.width);
  }
  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array): void {
    this.rotate('rope', x, positions, invFreq, 1);
  }
  ropeBackward(dx: Tensor, positions: Int32Array, invFreq: Float32Array): void {
    this.rotate('ropeBackward', dx, positions, invFreq, -1);
  }
  /** rope (sign 1) or its inverse (sign -1): the cos/sin table is formed here in float64 (asm/kernels/rope.ts). */
  private rotate(op: string, x: Tensor, positions: Int32Array, invFreq: Float32Array, sign: number): void {
    const d = ropeDims(op, x, positions, invFreq);
    const xp = this.ptr(x);
    const table = this.ropeTable(positions, invFreq, sign);
    this.withHostData(table, `${op} table [${d.n}, ${d.headDim}]`, (p) => this.kernels.rope(xp, p, d.n, d.heads, invFreq.length));
  }
  private ropeTable(positions: Int32Array, invFreq: Float32Array, sign: number): Float32Array {
    const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v, i) => v === b[i]);
    const c = this.ropeCache;
    if (c && c.sign === sign && same(c.positions, positions) && same(c.invFreq, invFreq)) return c.table;
    const half = invFreq.length;
    const table = new Float32Array(positions.length * 2 * half); // [N, 2, E/2]: cos, then sin
    for (let t = 0; t < positions.length; t++) {
      for (let i = 0; i < half; i++) {
        const a = sign * positions[t] * invFreq[i];
        table[t * 2 * half + i] = Math.cos(a);
        table[t * 2 * half + half + i] = Math.sin(a);
      }
    }
    this.ropeCache = { positions: positions.slice(), invFreq: invFreq.slice(), sign, table };
    return table;
  }
  attention(q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void {
    const d = attentionDims('attention', q, k, v, out, lse, o);
    const chunks = this.chunks(d.batch * d.heads * d.seq * d.seq * d.headDim, MIN_PARALLEL_MACS, d.batch * d.heads);
    const threads = chunks > 1 ? this.threads : 1;
    const ptrs = [q, k, v, out, lse].map((t) => this.ptr(t));
    this.withScratch(threads * this.kernels.attentionScratch(d.seq, false) * 4, 'attention scores', (scratch) =>
      this.run('attention', chunks, ...ptrs, d.batch, d.seq, d.heads, d.kvHeads, d.headDim, d.window ?? 0, scratch, this.pack));
  }
  attentionBackward(
    q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, dout: Tensor, dq: Tensor, dk: Tensor, dv: Tensor, o: AttentionOptions,
  ): void {
    const d = attentionDims('attentionBackward', q, k, v, out, lse, o, [dq, dk, dv, dout]);
    const chunks = this.chunks(d.batch * d.heads * d.seq * d.seq * d.headDim, MIN_PARALLEL_MACS, d.batch * d.heads);
    const threads = chunks > 1 ? this.threads : 1;
    this.ptr(out); // checked like every operand, but not read: asm/kernels/attention.ts forms rowsum(dout * out) from P
    const ptrs = [q, k, v, lse, dout, dq, dk, dv].map((t) => this.ptr(t));
    const [dkp, dvp] = [this.ptr(dk), this.ptr(dv)];
    this.withScratch(threads * this.kernels.attentionScratch(d.seq, true) * 4, 'attention backward scores', (scratch) => {
      // Threads past the first sum their heads' dk, dv apart ([threads - 1, 2, Bt, T, Hk * E]), added in here.
      this.withScratch((threads - 1) * 2 * k.size * 4, 'attention backward partial dk, dv', (partial) => {
        const memory = this.kernels.memory.buffer;
        for (const [at, floats] of [[dkp, k.size], [dvp, k.size], [partial, (threads - 1) * 2 * k.size]]) new Float32Array(memory, at, floats).fill(0);
        this.run('attentionBackward', chunks, ...ptrs, d.batch, d.seq, d.heads, d.kvHeads, d.headDim, d.window ?? 0,
          scratch, partial, this.pack);
        for (let t = 0; t < threads - 1; t++) {
          this.run('add', 1, partial + t * 2 * k.size * 4, dkp, k.size);
          this.run('add', 1, partial + (t * 2 + 1) * k.size * 4, dvp, k.size);
        }
      });
    });
  }
  swiglu(gate: Tensor, up: Tensor, out: Tensor): void {
    sameSize('swiglu', gate, up);
    sameSize('swiglu', gate, out);
    this.run('swiglu', this.chunks(gate.size, MIN_PARALLEL_ELEMENTS, Infinity), this.ptr(gate), this.ptr(up), this.ptr(out), gate.size);
  }
  swigluBackward(gate: Tensor, up: Tensor, dout: Tensor, dgate: Tensor, dup: Tensor): void {
    for (const t of [up, dout, dgate, dup]) sameSize('swigluBackward', gate, t);
    this.run('swigluBackward', this.chunks(gate.size, MIN_PARALLEL_ELEMENTS, Infinity),
      ...[gate, up, dout, dgate, dup].map((t) => this.ptr(t)), gate.size);
  }
  add(a: Tensor, y: Tensor): void {
    sameSize('add', a, y);
    this.run('add', this.chunks(y.size, MIN_PARALLEL_ELEMENTS, Infinity), this.ptr(a), this.ptr(y), y.size);
  }
  crossEntropy(logits: Tensor, targets: Int32Array, loss: Tensor, dlogits: Tensor | null): void {
    const d = crossEntropyDims(logits, targets, loss, dlogits);
    const [lp, dp] = [this.ptr(logits), dlogits ? this.ptr(dlogits) : 0];
    const chunks = this.chunks(d.n * d.vocab, MIN_PARALLEL_ELEMENTS, d.n);
    this.withHostData(targets, `crossEntropy targets [${d.n}]`, (tp) => {
      this.withScratch(d.n * 8, `crossEntropy row losses [${d.n}]`, (rows) => {
        this.run('crossEntropy', chunks, lp, tp, dp, rows, d.n, d.vocab, d.count);
        // The mean in row order, in float64, whatever the thread count.
        const perRow = new Float64Array(this.kernels.memory.buffer, rows, d.n);
        let total = 0;
        for (let i = 0; i < d.n; i++) total += perRow[i];
        this.view(loss)[0] = total / d.count;
      });
    });
  }

  // ---- training ops (TrainBackend) --------------------------------------------------------------------
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, s: AdamWStep): void {
    for (const t of [grad, m, v]) sameSize('adamw', param, t);
    this.kernels.adamw(this.ptr(param), this.ptr(grad), this.ptr(m), this.ptr(v), param.size,
      s.lr, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.eps, 1 - s.lr * s.weightDecay, s.gradScale, 1 - s.beta1 ** s.step, 1 - s.beta2 ** s.step);
  }
  sumSquares(t: Tensor, out: Tensor, accumulate: boolean): void {
    if (out.size !== 1) throw new Error(`[sumSquares] ${out.label} must hold one value, has ${out.size}`);
    this.kernels.sumSquares(this.ptr(t), this.ptr(out), t.size, accumulate);
  }
  dropout(x: Tensor, out: Tensor, p: number, seed: number): void {
    sameSize('dropout', x, out);
    const threshold = dropoutThreshold(p);
    this.run('dropout', this.chunks(x.size, MIN_PARALLEL_ELEMENTS, Infinity), this.ptr(x), this.ptr(out), x.size,
      seed >>> 0, threshold, 1 / (1 - p));
  }

  // ---- cached attention (GenerateBackend) -------------------------------------------------------------
  attentionDecode(q: Tensor, kNew: Tensor, vNew: Tensor, kCache: Tensor, vCache: Tensor, past: number, out: Tensor, o: AttentionOptions): void {
    const d = attentionDecodeDims(q, kNew, vNew, kCache, vCache, past, out, o);
    const [kc, vc] = [this.ptr(kCache), this.ptr(vCache)];
    this.kernels.attentionDecodeAppend(this.ptr(kNew), this.ptr(vNew), kc, vc, d.batch, d.tq, d.kvHeads * d.headDim, d.capacity, past);
    const keys = past + d.tq;
    const chunks = this.chunks(d.batch * d.heads * d.tq * keys * d.headDim, MIN_PARALLEL_MACS, d.batch * d.heads);
    const threads = chunks > 1 ? this.threads : 1;
    const [qp, op] = [this.ptr(q), this.ptr(out)];
    this.withScratch(threads * this.kernels.attentionScratch(keys, false) * 4, 'attentionDecode scores', (scratch) =>
      this.run('attentionDecode', chunks, qp, kc, vc, op, d.batch, d.tq, d.heads, d.kvHeads, d.headDim, d.capacity, past,
        d.window ?? 0, scratch, this.pack));
  }
}

export interface WasmOptions {
  /** Threads to run kernels on (default: every core where WebAssembly threads are available, else 1). */
  threads?: number;
}

/** The WebAssembly backend; fails with a clear error where the runtime lacks WebAssembly SIMD. With more than
 *  one thread it needs shared memory and a thread host (runtime/wasm/threads.ts): asking for threads where
 *  there are none, or where they fail to start, is an error; the default then quietly uses one thread. */
export async function createWasmBackend(options: WasmOptions = {}): Promise<WasmBackend> {
  const host = threadHost();
  const threads = options.threads ?? Math.min(host?.cores ?? 1, 16);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`[wasm] threads=${threads} must be a positive integer`);
  if (threads > 1 && !host) {
    throw new Error(`[wasm] threads=${threads} needs WebAssembly threads: SharedArrayBuffer and workers (in a browser, a ` +
      `cross-origin isolated page); use threads=1 here`);
  }
  if (threads === 1) return singleThreaded();
  let kernels: Kernels, module: WebAssembly.Module, memory: WebAssembly.Memory;
  try {
    module = await WebAssembly.compile(threadBytes as Uint8Array<ArrayBuffer>);
    memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    kernels = (await WebAssembly.instantiate(module, { env: { memory } })).exports as unknown as Kernels;
  } catch (e) {
    if (options.threads === undefined) return singleThreaded();
    throw new Error(`[wasm] cannot instantiate the threaded kernels on shared memory (${(e as Error).message}); use threads=1`);
  }
  try {
    const pool = await ThreadPool.start(host!, module, memory, kernels.alloc(CONTROL_BYTES) >>> 0, threads, [...PARALLEL]);
    return new WasmBackend(kernels, pool);
  } catch (e) {
    if (options.threads === undefined) return singleThreaded();
    throw e;
  }
}

/** The single-threaded backend on the plain build (no shared memory). */
async function singleThreaded(): Promise<WasmBackend> {
  try {
    // esbuild's binary loader decodes into a plain (never shared) ArrayBuffer.
    const { instance } = await WebAssembly.instantiate(singleBytes as Uint8Array<ArrayBuffer>, {});
    return new WasmBackend(instance.exports as unknown as Kernels, null);
  } catch (e) {
    throw new Error(`[wasm] cannot instantiate the SIMD kernels (${(e as Error).message}); this runtime needs ` +
      `WebAssembly SIMD128 (Node >= 16.4, Chrome >= 91, Firefox >= 89, Safari >= 16.4)`);
  }
}
