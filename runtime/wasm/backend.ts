// The WebAssembly backend: the kernels of the checked edge (runtime/checked.ts) on the SIMD kernels of
// asm/kernels. Tensors are blocks of the module's linear memory (asm/kernels/heap.ts); shapes, ownership and
// sizes are checked once at the edge, so the kernels run unchecked. With more than one thread the memory is
// shared and the heavy kernels (matmul, Bat, attention, cross-entropy, swiglu, add, dropout) are split among
// worker threads (runtime/wasm/threads.ts); with one, the plain build/kernels.wasm runs on the calling thread.
// Half-precision weights (`weight`): frozen matrices kept as float16, 2 bytes per element (asm/kernels/half.ts),
// read by matmul (while packing its panels) and embedding (row by row) straight from that storage and widened
// to f32 there, so every sum accumulates in f32; the ops that write a weight or walk it block by block
// (matmul's C, blockDelta, blockAffine, batGrad) get a float32 copy for the call, written back rounded when
// the op writes the weight, as on WebGPU. Conversions to and from the CPU go through a bounded scratch, so no
// float32 copy of a whole weight is ever made for them.
// It deliberately holds no typed-array view across calls: memory can grow inside any allocation, which detaches
// (or, shared, outgrows) old views, so each access takes a fresh view of the current buffer.
// Letters: see runtime/backend.ts.
import singleBytes from '../../build/kernels.wasm';
import threadBytes from '../../build/kernels-threads.wasm';
import { instantiate as instantiateSingle } from '../../build/kernels.js';
import { instantiate as instantiateThreads } from '../../build/kernels-threads.js';
import type { AdamWStep, BackendInfo, ClipOptions, HalfBits, LossInto, Tensor } from '../backend.js';
import { CheckedBackend, type Kernels as BackendKernels, type OwnedTensor } from '../checked.js';
import {
  type AttentionDims, type BatDims, type BlockDeltaDims, type CrossEntropyDims, type DecodeDims, type DropoutDims,
  type EmbeddingDims, type FoldDims, type MatmulDims, type RopeDims, type RowDims, sizeOf,
} from '../shapes.js';
import { CONTROL_BYTES, ThreadPool, threadHost } from './threads.js';
import { stepStats } from '../reference/train-ops.js';

/** build/kernels*.wasm's exports (asm/kernels/index.ts), typed by the compiler's generated declarations
 *  (build.mjs): pointers are byte offsets, sizes element counts. */
type Exports = Awaited<ReturnType<typeof instantiateSingle>>;

/** The kernels threads share: each takes (chunk, chunks, thread) after its own arguments (asm/kernels/parts.ts). */
const PARALLEL = ['matmul', 'blockAffine', 'batGrad', 'attention', 'attentionBackward', 'attentionDecode',
  'crossEntropy', 'swiglu', 'swigluBackward', 'add', 'dropout'] as const satisfies readonly (keyof Exports)[];
type Parallel = typeof PARALLEL[number];
/** A shared kernel's own arguments: its parameters before (chunk, chunks, thread). */
type Own<K extends Parallel> = Exports[K] extends (...a: [...infer A, number, number, number]) => void ? A : never;

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

/** Elements converted at a time between float32 and a float16 weight (a 4 MiB float32 scratch). */
const CONVERT_CHUNK = 1 << 20;

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

class WasmTensor implements OwnedTensor {
  readonly size: number;
  constructor(readonly shape: readonly number[], readonly label: string, public ptr: number, readonly owner: WasmKernels,
    readonly dtype: 'float32' | 'float16' = 'float32') {
    this.size = sizeOf(shape);
  }
  get disposed(): boolean {
    return this.ptr === 0;
  }
}

class WasmKernels implements BackendKernels<WasmTensor> {
  readonly name = 'wasm' as const;
  readonly info: BackendInfo;
  private k: Exports | null;
  /** matmul.ts packing scratch, one block of PACK_BYTES per thread, held for the backend's lifetime. */
  private readonly pack: number;

  constructor(kernels: Exports, private readonly pool: ThreadPool | null) {
    this.k = kernels;
    const threads = pool?.threads ?? 1;
    this.info = {
      name: 'wasm',
      device: `WebAssembly SIMD128, ${threads} thread${threads > 1 ? 's' : ''}`,
      details: { simd128: true, threads, memoryLimit: '4 GiB (wasm32)', matmulTile: '2x16 f32x4', halfWeights: 'float16' },
    };
    this.pack = this.alloc(threads * kernels.PACK_BYTES.value, 'matmul packing scratch');
  }

  private get kernels(): Exports {
    if (!this.k) throw new Error('[wasm] the backend was destroyed; create a new one');
    return this.k;
  }

  owns(t: Tensor): t is WasmTensor {
    return t instanceof WasmTensor && t.owner === this;
  }

  enter(): void {
    void this.kernels;
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
  private run<K extends Parallel>(name: K, chunks: number, ...args: Own<K>): void {
    const k = this.kernels, kernel = k[name];
    if (chunks > 1) this.pool!.run(name, (...a: number[]) => Reflect.apply(kernel, k, a), args.map(Number), chunks);
    else Reflect.apply(kernel, k, [...args, 0, 1, 0]);
  }

  /** A block of `bytes` bytes of linear memory, or a clear error naming the size and the 4 GiB limit. */
  private alloc(bytes: number, what: string): number {
    const k = this.kernels;
    const grown = k.memory.buffer.byteLength;
    if (bytes > MEMORY_LIMIT) {
      throw new Error(`[wasm] ${what} needs ${bytes} bytes (${gib(bytes)}), over the 4 GiB limit of wasm32 linear ` +
        `memory; use the webgpu backend or split the tensor`);
    }
    const ptr = k.alloc(bytes); // unsigned: the generated binding reads the usize as such
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

  /** A view of the tensor on the current memory buffer (valid until the next allocation). */
  private view(t: WasmTensor): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, t.ptr, t.size);
  }

  create(shape: readonly number[], label: string, init?: Float32Array): WasmTensor {
    const what = `tensor ${label} [${shape.join(', ')}]`;
    const t = new WasmTensor(shape, label, this.alloc(sizeOf(shape) * 4, what), this);
    // Freed blocks are reused, so a new tensor is zeroed explicitly.
    if (init) this.view(t).set(init);
    else this.view(t).fill(0);
    return t;
  }
  /** A float16 weight, or null (the caller then makes it float32) when a value is outside float16's range. */
  createWeight(shape: readonly number[], label: string, data: Float32Array): WasmTensor | null {
    const t = new WasmTensor(shape, label, this.alloc(sizeOf(shape) * 2, `weight ${label} [${shape.join(', ')}] (float16)`), this, 'float16');
    if (this.narrowFrom(data, t) === 0) return t;
    this.release(t);
    return null;
  }
  /** A float16 weight from a checkpoint's 2-byte values, copied straight into linear memory (float16) or
   *  rounded there in place (bfloat16); null when a bfloat16 value is outside float16's range. */
  createWeightBits(shape: readonly number[], label: string, data: HalfBits): WasmTensor | null {
    const t = new WasmTensor(shape, label, this.alloc(sizeOf(shape) * 2, `weight ${label} [${shape.join(', ')}] (float16)`), this, 'float16');
    new Uint16Array(this.kernels.memory.buffer, t.ptr, t.size).set(data.bits);
    if (data.dtype === 'float16' || this.kernels.bf16ToHalf(t.ptr, t.size) === 0) return t;
    this.release(t);
    return null;
  }
  /** t (float16) = data rounded, through a bounded float32 scratch; returns how many values overflowed. */
  private narrowFrom(data: Float32Array, t: WasmTensor): number {
    let overflow = 0;
    this.withScratch(Math.min(t.size, CONVERT_CHUNK) * 4, `float16 conversion of ${t.label}`, (scratch) => {
      for (let at = 0; at < t.size; at += CONVERT_CHUNK) {
        const part = data.subarray(at, at + CONVERT_CHUNK);
        new Float32Array(this.kernels.memory.buffer, scratch, part.length).set(part);
        overflow += this.kernels.narrow(scratch, t.ptr + at * 2, part.length);
      }
    });
    return overflow;
  }
  async read(t: WasmTensor): Promise<Float32Array> {
    if (t.dtype === 'float32') return this.view(t).slice();
    const out = new Float32Array(t.size);
    this.withScratch(Math.min(t.size, CONVERT_CHUNK) * 4, `float32 view of ${t.label}`, (scratch) => {
      for (let at = 0; at < t.size; at += CONVERT_CHUNK) {
        const n = Math.min(CONVERT_CHUNK, t.size - at);
        this.kernels.widen(t.ptr + at * 2, scratch, n);
        out.set(new Float32Array(this.kernels.memory.buffer, scratch, n), at);
      }
    });
    return out;
  }
  write(t: WasmTensor, src: Float32Array): void {
    if (t.dtype === 'float32') this.view(t).set(src);
    else this.overflowed(t, this.narrowFrom(src, t));
  }
  copy(src: WasmTensor, dst: WasmTensor, count: number): void {
    const k = this.kernels;
    if (src.dtype === 'float16' && dst.dtype === 'float32') k.widen(src.ptr, dst.ptr, count);
    else if (src.dtype === 'float32' && dst.dtype === 'float16') this.overflowed(dst, k.narrow(src.ptr, dst.ptr, count));
    else new Uint8Array(k.memory.buffer).copyWithin(dst.ptr, src.ptr, src.ptr + count * (src.dtype === 'float16' ? 2 : 4));
  }
  /** A float16 weight written with values it cannot hold is an error naming it (they were stored as infinity). */
  private overflowed(t: WasmTensor, count: number): void {
    if (count > 0) {
      throw new Error(`[wasm] ${count} value(s) written to ${t.label} exceed float16's range (65504); load the model with ` +
        'halfWeights: false');
    }
  }
  /** Run `use` on t's float32 form: t itself, or (float16) a float32 copy for the call, narrowed back into t
   *  afterwards when `writeBack`. */
  private asF32(t: WasmTensor, writeBack: boolean, use: (ptr: number) => void): void {
    if (t.dtype === 'float32') return use(t.ptr);
    this.withScratch(t.size * 4, `float32 copy of ${t.label}`, (wide) => {
      this.kernels.widen(t.ptr, wide, t.size);
      use(wide);
      if (writeBack) this.overflowed(t, this.kernels.narrow(wide, t.ptr, t.size));
    });
  }
  release(t: WasmTensor): void {
    if (this.k) this.k.free(t.ptr);
    t.ptr = 0;
  }
  async sync(): Promise<void> {}
  destroy(): void {
    this.pool?.stop();
    this.k = null;
  }

  matmul(a: WasmTensor, b: WasmTensor, c: WasmTensor, d: MatmulDims): void {
    // Whole batch entries per chunk when there are enough (asm/kernels/matmul.ts), else slices of C.
    const most = d.batch >= this.threads ? d.batch : Math.floor(Math.max(d.m, d.n) / MIN_CHUNK_SPAN);
    // A float16 C (merging LoRA into a half-precision weight) is accumulated in float32, then rounded back.
    this.asF32(c, true, (cp) => this.run('matmul', this.chunks(d.batch * d.m * d.n * d.k, MIN_PARALLEL_MACS, most), a.ptr, b.ptr, cp,
      d.batch, d.m, d.n, d.k, d.transA, d.transB, a.dtype === 'float16', b.dtype === 'float16', d.alpha, d.accumulate, this.pack));
  }
  fold(wide: WasmTensor, narrow: WasmTensor, d: FoldDims): void {
    this.kernels.fold(wide.ptr, narrow.ptr, d.rows, d.wide, d.narrow);
  }
  tile(narrow: WasmTensor, wide: WasmTensor, d: FoldDims): void {
    this.kernels.tile(narrow.ptr, wide.ptr, d.rows, d.wide, d.narrow);
  }
  blockDelta(b: WasmTensor, w: WasmTensor, d: BlockDeltaDims, sign: 1 | -1): void {
    this.asF32(w, true, (wp) => this.withScratch(d.m * d.r * 4, `blockDelta scratch [${d.m}, ${d.r}]`,
      (scratch) => this.kernels.blockDelta(b.ptr, wp, d.out, d.inF, d.r, d.m, sign, scratch)));
  }
  blockAffine(w: WasmTensor, m: WasmTensor, c: WasmTensor, dst: WasmTensor, d: BatDims): void {
    const chunks = this.chunks(d.out * d.inF * d.r, MIN_PARALLEL_MACS, d.out / d.r);
    const threads = chunks > 1 ? this.threads : 1;
    // I + m_i, one [R, R] square per thread (asm/kernels/bat.ts).
    this.asF32(w, false, (wp) => this.withScratch(threads * d.r * d.r * 4, `blockAffine I + m [${threads}, ${d.r}, ${d.r}]`,
      (shifted) => this.run('blockAffine', chunks, wp, m.ptr, c.ptr, dst.ptr, d.out, d.inF, d.r, shifted, this.pack)));
  }
  batGrad(w: WasmTensor, g: WasmTensor, x: WasmTensor, db: WasmTensor, d: BatDims): void {
    const group = this.kernels.BAT_GROUP.value;
    // About two output blocks per chunk: x is packed once per chunk's group (asm/kernels/bat.ts), so fewer,
    // larger chunks pack less, while more of them balance the threads.
    const chunks = this.chunks(d.n * d.out * d.inF, MIN_PARALLEL_MACS, Math.ceil(d.out / d.r / 2));
    const threads = chunks > 1 ? this.threads : 1;
    // A few [R, I] strips of g^T x per thread at a time, never the whole [O, I] product.
    this.asF32(w, false, (wp) => this.withScratch(threads * group * d.r * d.inF * 4, `batGrad strips [${threads}, ${group}, ${d.r}, ${d.inF}]`,
      (strips) => this.run('batGrad', chunks, wp, g.ptr, x.ptr, db.ptr, d.n, d.out, d.inF, d.r, strips, this.pack)));
  }

  embedding(ids: Int32Array, table: WasmTensor, out: WasmTensor, d: EmbeddingDims): void {
    this.withHostData(ids, `embedding ids [${d.n}]`, (p) => this.kernels.embedding(p, table.ptr, out.ptr, d.n, d.width, table.dtype === 'float16'));
  }
  embeddingBackward(ids: Int32Array, dout: WasmTensor, dtable: WasmTensor, d: EmbeddingDims, accumulate: boolean): void {
    this.withHostData(ids, `embeddingBackward ids [${d.n}]`, (p) =>
      this.kernels.embeddingBackward(p, dout.ptr, dtable.ptr, d.n, d.vocab, d.width, accumulate));
  }
  rmsNorm(x: WasmTensor, w: WasmTensor, eps: number, y: WasmTensor, rstd: WasmTensor, d: RowDims): void {
    this.kernels.rmsNorm(x.ptr, w.ptr, eps, y.ptr, rstd.ptr, d.n, d.width);
  }
  rmsNormBackward(x: WasmTensor, w: WasmTensor, rstd: WasmTensor, dy: WasmTensor, dx: WasmTensor, d: RowDims): void {
    this.kernels.rmsNormBackward(x.ptr, w.ptr, rstd.ptr, dy.ptr, dx.ptr, d.n, d.width);
  }
  rmsNormWeightGrad(x: WasmTensor, rstd: WasmTensor, dy: WasmTensor, dw: WasmTensor, d: RowDims): void {
    this.kernels.rmsNormWeightGrad(x.ptr, rstd.ptr, dy.ptr, dw.ptr, d.n, d.width);
  }
  rope(x: WasmTensor, table: Float32Array, d: RopeDims, sign: 1 | -1): void {
    this.withHostData(table, `rope table [${d.n}, ${d.headDim}]`, (p) => this.kernels.rope(x.ptr, p, d.n, d.heads, d.headDim / 2, sign));
  }
  attention(q: WasmTensor, k: WasmTensor, v: WasmTensor, out: WasmTensor, lse: WasmTensor, d: AttentionDims): void {
    const chunks = this.chunks(d.batch * d.heads * d.seq * d.seq * d.headDim, MIN_PARALLEL_MACS, d.batch * d.heads);
    const threads = chunks > 1 ? this.threads : 1;
    this.withScratch(threads * this.kernels.attentionScratch(d.seq, false) * 4, 'attention scores', (scratch) =>
      this.run('attention', chunks, q.ptr, k.ptr, v.ptr, out.ptr, lse.ptr, d.batch, d.seq, d.heads, d.kvHeads, d.headDim,
        d.window ?? 0, scratch, this.pack));
  }
  attentionBackward(
    q: WasmTensor, k: WasmTensor, v: WasmTensor, _out: WasmTensor, lse: WasmTensor, dout: WasmTensor,
    dq: WasmTensor, dk: WasmTensor, dv: WasmTensor, d: AttentionDims,
  ): void {
    // `out` is not read: asm/kernels/attention.ts forms rowsum(dout * out) from P.
    const chunks = this.chunks(d.batch * d.heads * d.seq * d.seq * d.headDim, MIN_PARALLEL_MACS, d.batch * d.heads);
    const threads = chunks > 1 ? this.threads : 1;
    this.withScratch(threads * this.kernels.attentionScratch(d.seq, true) * 4, 'attention backward scores', (scratch) => {
      // Threads past the first sum their heads' dk, dv apart ([threads - 1, 2, Bt, T, Hk * E]), added in here.
      this.withScratch((threads - 1) * 2 * k.size * 4, 'attention backward partial dk, dv', (partial) => {
        const memory = this.kernels.memory.buffer;
        for (const [at, floats] of [[dk.ptr, k.size], [dv.ptr, k.size], [partial, (threads - 1) * 2 * k.size]]) new Float32Array(memory, at, floats).fill(0);
        this.run('attentionBackward', chunks, q.ptr, k.ptr, v.ptr, lse.ptr, dout.ptr, dq.ptr, dk.ptr, dv.ptr,
          d.batch, d.seq, d.heads, d.kvHeads, d.headDim, d.window ?? 0, scratch, partial, this.pack);
        for (let t = 0; t < threads - 1; t++) {
          this.run('add', 1, partial + t * 2 * k.size * 4, dk.ptr, k.size);
          this.run('add', 1, partial + (t * 2 + 1) * k.size * 4, dv.ptr, k.size);
        }
      });
    });
  }
  attentionDecode(q: WasmTensor, kNew: WasmTensor, vNew: WasmTensor, kCache: WasmTensor, vCache: WasmTensor, out: WasmTensor, d: DecodeDims): void {
    this.kernels.attentionDecodeAppend(kNew.ptr, vNew.ptr, kCache.ptr, vCache.ptr, d.batch, d.tq, d.kvHeads * d.headDim, d.capacity, d.past);
    const keys = d.past + d.tq;
    const chunks = this.chunks(d.batch * d.heads * d.tq * keys * d.headDim, MIN_PARALLEL_MACS, d.batch * d.heads);
    const threads = chunks > 1 ? this.threads : 1;
    this.withScratch(threads * this.kernels.attentionScratch(keys, false) * 4, 'attentionDecode scores', (scratch) =>
      this.run('attentionDecode', chunks, q.ptr, kCache.ptr, vCache.ptr, out.ptr, d.batch, d.tq, d.heads, d.kvHeads, d.headDim,
        d.capacity, d.past, d.window ?? 0, scratch, this.pack));
  }
  swiglu(gate: WasmTensor, up: WasmTensor, out: WasmTensor, count: number): void {
    this.run('swiglu', this.chunks(count, MIN_PARALLEL_ELEMENTS, Infinity), gate.ptr, up.ptr, out.ptr, count);
  }
  swigluBackward(gate: WasmTensor, up: WasmTensor, dout: WasmTensor, dgate: WasmTensor, dup: WasmTensor, count: number): void {
    this.run('swigluBackward', this.chunks(count, MIN_PARALLEL_ELEMENTS, Infinity), gate.ptr, up.ptr, dout.ptr, dgate.ptr, dup.ptr, count);
  }
  add(a: WasmTensor, y: WasmTensor, count: number): void {
    this.run('add', this.chunks(count, MIN_PARALLEL_ELEMENTS, Infinity), a.ptr, y.ptr, count);
  }
  crossEntropy(logits: WasmTensor, targets: Int32Array, loss: WasmTensor, dlogits: WasmTensor | null, d: CrossEntropyDims, into: LossInto): void {
    const chunks = this.chunks(d.n * d.vocab, MIN_PARALLEL_ELEMENTS, d.n);
    this.withHostData(targets, `crossEntropy targets [${d.n}]`, (tp) => {
      this.withScratch(d.n * 8, `crossEntropy row losses [${d.n}]`, (rows) => {
        this.run('crossEntropy', chunks, logits.ptr, tp, dlogits?.ptr ?? 0, rows, d.n, d.vocab, d.count);
        // The mean in row order, in float64, whatever the thread count.
        const perRow = new Float64Array(this.kernels.memory.buffer, rows, d.n);
        let total = 0;
        for (let i = 0; i < d.n; i++) total += perRow[i];
        const out = this.view(loss);
        out[0] = into.weight * (total / d.count) + (into.accumulate ? out[0] : 0);
      });
    });
  }

  adamw(param: WasmTensor, grad: WasmTensor, m: WasmTensor, v: WasmTensor, scale: WasmTensor, s: AdamWStep, count: number): void {
    const gradScale = this.view(scale)[0]; // the CPU is the device here: the scale is read where it lies
    if (!Number.isFinite(gradScale)) return;
    this.kernels.adamw(param.ptr, grad.ptr, m.ptr, v.ptr, count,
      s.lr, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.eps, 1 - s.lr * s.weightDecay, gradScale, 1 - s.beta1 ** s.step, 1 - s.beta2 ** s.step);
  }
  sumSquares(t: WasmTensor, out: WasmTensor, count: number, accumulate: boolean): void {
    this.kernels.sumSquares(t.ptr, out.ptr, count, accumulate);
  }
  stepStats(loss: WasmTensor, normSq: WasmTensor, clip: ClipOptions, stats: WasmTensor): void {
    const out = this.view(stats);
    out.set(stepStats(this.view(loss)[0], this.view(normSq)[0], clip, out[0]));
  }
  dropout(x: WasmTensor, out: WasmTensor, d: DropoutDims): void {
    this.run('dropout', this.chunks(d.count, MIN_PARALLEL_ELEMENTS, Infinity), x.ptr, out.ptr, d.count, d.seed, d.threshold, d.scale);
  }
}

export class WasmBackend extends CheckedBackend<WasmTensor> {
  constructor(kernels: Exports, pool: ThreadPool | null) {
    super(new WasmKernels(kernels, pool));
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
  let kernels: Exports, module: WebAssembly.Module, memory: WebAssembly.Memory;
  try {
    module = await WebAssembly.compile(threadBytes as Uint8Array<ArrayBuffer>);
    memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const imports = { env: { memory } };
    kernels = await instantiateThreads(module, imports);
  } catch (e) {
    if (options.threads === undefined) return singleThreaded();
    throw new Error(`[wasm] cannot instantiate the threaded kernels on shared memory (${(e as Error).message}); use threads=1`);
  }
  try {
    const pool = await ThreadPool.start(host!, module, memory, kernels.alloc(CONTROL_BYTES), threads, [...PARALLEL]);
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
    return new WasmBackend(await instantiateSingle(await WebAssembly.compile(singleBytes as Uint8Array<ArrayBuffer>), {}), null);
  } catch (e) {
    throw new Error(`[wasm] cannot instantiate the SIMD kernels (${(e as Error).message}); this runtime needs ` +
      `WebAssembly SIMD128 (Node >= 16.4, Chrome >= 91, Firefox >= 89, Safari >= 16.4)`);
  }
}
