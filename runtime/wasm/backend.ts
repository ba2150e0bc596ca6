// The WebAssembly backend: every op of runtime/backend.ts on the SIMD kernels of asm/kernels (build/kernels.wasm),
// one thread. Tensors are blocks of the module's linear memory (asm/kernels/heap.ts); this file is the edge where
// every shape, ownership and size is checked once (runtime/op-shapes.ts), so the kernels run unchecked.
// It deliberately holds no typed-array view across calls: memory can grow inside any allocation, which detaches
// old views, so each access takes a fresh view of the current buffer.
// Letters: see runtime/backend.ts.
import bytes from '../../build/kernels.wasm';
import { type Backend, type BackendInfo, type MatmulOptions, type Tensor, matmulDims, sizeOf } from '../backend.js';
import { batDims, batGradDims, biasDims, blockDeltaDims, sameSize, tileDims } from '../op-shapes.js';

/** build/kernels.wasm's exports (asm/kernels/index.ts); pointers are byte offsets, sizes element counts. */
interface Kernels {
  memory: WebAssembly.Memory;
  PACK_BYTES: WebAssembly.Global;
  alloc(bytes: number): number;
  free(ptr: number): void;
  matmul(a: number, b: number, c: number, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, alpha: number, accumulate: boolean, pack: number): void;
  addBias(y: number, bias: number, n: number, out: number): void;
  chunkSum(x: number, s: number, n: number, inF: number, r: number): void;
  chunkScatterAdd(ds: number, dx: number, n: number, inF: number, r: number): void;
  tileAdd(p: number, y: number, n: number, out: number, m: number): void;
  foldSum(g: number, folded: number, n: number, out: number, m: number): void;
  blockDelta(b: number, w: number, out: number, inF: number, r: number, m: number, sign: number, scratch: number): void;
  blockAffine(w: number, m: number, c: number, dst: number, out: number, inF: number, r: number, pack: number): void;
  batGrad(w: number, g: number, x: number, db: number, n: number, out: number, inF: number, r: number,
    strip: number, pack: number): void;
}

/** wasm32 addresses linear memory with 32 bits; the allocator stops one 64 KiB page short of that. */
const MEMORY_LIMIT = 4 * 1024 ** 3 - 65536;

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

class WasmTensor implements Tensor {
  readonly size: number;
  constructor(readonly shape: readonly number[], readonly label: string, public ptr: number, readonly owner: WasmBackend) {
    this.size = sizeOf(shape);
  }
}

class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly info: BackendInfo = {
    name: 'wasm',
    device: 'WebAssembly SIMD128, 1 thread',
    details: { simd128: true, threads: 1, memoryLimit: '4 GiB (wasm32)', matmulTile: '2x16 f32x4' },
  };
  private k: Kernels | null;
  /** matmul.ts packing scratch, held for the backend's lifetime. */
  private readonly pack: number;

  constructor(kernels: Kernels) {
    this.k = kernels;
    this.pack = this.alloc(kernels.PACK_BYTES.value as number, 'matmul packing scratch');
  }

  private get kernels(): Kernels {
    if (!this.k) throw new Error('[wasm] the backend was destroyed; create a new one');
    return this.k;
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
        `${gib(grown)} of its 4 GiB limit (or the host refused to grow it); dispose unused tensors`);
    }
    return ptr;
  }

  /** Scratch for one kernel call, freed afterwards even if the call throws. */
  private withScratch(floats: number, what: string, run: (ptr: number) => void): void {
    const ptr = this.alloc(floats * 4, what);
    try {
      run(ptr);
    } finally {
      this.kernels.free(ptr);
    }
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
    this.k = null;
  }

  matmul(a: Tensor, b: Tensor, c: Tensor, o: MatmulOptions = {}): void {
    const d = matmulDims(a, b, c, o);
    this.kernels.matmul(this.ptr(a), this.ptr(b), this.ptr(c), d.batch, d.m, d.n, d.k,
      !!o.transA, !!o.transB, o.alpha ?? 1, !!o.accumulate, this.pack);
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
    this.withScratch(d.m * d.r, `blockDelta scratch [${d.m}, ${d.r}]`,
      (scratch) => this.kernels.blockDelta(bp, wp, d.out, d.inF, d.r, d.m, sign, scratch));
  }
  blockAffine(w: Tensor, m: Tensor, c: Tensor, dst: Tensor): void {
    const d = batDims('blockAffine', w, m, c);
    sameSize('blockAffine', w, dst);
    if (dst === w) throw new Error(`[blockAffine] dst ${dst.label} must not alias w; pass a separate tensor`);
    this.kernels.blockAffine(this.ptr(w), this.ptr(m), this.ptr(c), this.ptr(dst), d.out, d.inF, d.r, this.pack);
  }
  batGrad(w: Tensor, g: Tensor, x: Tensor, db: Tensor): void {
    const d = batGradDims(w, g, x, db);
    const [wp, gp, xp, dbp] = [this.ptr(w), this.ptr(g), this.ptr(x), this.ptr(db)];
    // One [R, I] strip of g^T x at a time, never the whole [O, I] product.
    this.withScratch(d.r * d.inF, `batGrad strip [${d.r}, ${d.inF}]`,
      (strip) => this.kernels.batGrad(wp, gp, xp, dbp, d.n, d.out, d.inF, d.r, strip, this.pack));
  }
}

/** The WebAssembly backend; fails with a clear error where the runtime lacks WebAssembly SIMD. */
export async function createWasmBackend(): Promise<Backend> {
  let instance: WebAssembly.Instance;
  try {
    // esbuild's binary loader decodes into a plain (never shared) ArrayBuffer.
    ({ instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, {}));
  } catch (e) {
    throw new Error(`[wasm] cannot instantiate the SIMD kernels (${(e as Error).message}); this runtime needs ` +
      `WebAssembly SIMD128 (Node >= 16.4, Chrome >= 91, Firefox >= 89, Safari >= 16.4)`);
  }
  return new WasmBackend(instance.exports as unknown as Kernels);
}
