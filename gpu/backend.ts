// The WebGPU backend: tensors are storage buffers on one device, ops record compute passes into a pending
// batch (gpu/device.ts) that is submitted on read/sync, and `read` is the only readback.
// Semantics are those of runtime/backend.ts and the reference (runtime/reference/ops.ts); every call is
// checked once by the edge it extends (runtime/checked.ts), so this file only launches kernels, each
// described in gpu/<op>.ts and dispatched by GpuContext.launch (gpu/kernel.ts). CPU-side index arrays travel
// through the upload ring (gpu/device.ts), the rotary table through a reusable upload buffer (reusable.ts).
// Tensors may exceed one storage binding (up to maxBufferSize): embedding, matmul and crossEntropy, the ops
// that meet vocabulary-sized tensors, walk them in row windows (of float16 rows for half-precision weights),
// and conversions between float16 and float32 go a binding-sized piece at a time; any other op given one
// throws naming the op and the limit (gpu/device.ts dispatch).
// Half-precision weights (`weight`, with shader-f16): matmul operands and embedding tables are read as
// float16 and accumulated in f32; matmul's C, blockDelta's w and blockAffine/batGrad's w go through a float32
// temporary (written back rounded to float16 where the op writes the weight); copy/read/write convert; every
// other op rejects them (runtime/checked.ts).
import type { AdamWStep, BackendInfo, ClipOptions, DeviceCounters, LossInto, Tensor } from '../runtime/backend.js';
import { CheckedBackend, type Kernels, type OwnedTensor } from '../runtime/checked.js';
import {
  type AttentionDims, type BatDims, type BlockDeltaDims, type CrossEntropyDims, type DecodeDims, type DropoutDims,
  type EmbeddingDims, type FoldDims, type MatmulDims, type RopeDims, type RowDims, sizeOf,
} from '../runtime/shapes.js';
import { attention, attentionBackward, attentionDecode } from './attention.js';
import { BAT_AFFINE, DEFAULT_BAT_SCRATCH_BYTES, batGrad } from './bat.js';
import { BLOCK_DELTA } from './blockDelta.js';
import { crossEntropy } from './crossEntropy.js';
import { type GpuContext, type KernelVariants, openDevice } from './device.js';
import { type VariantSource, chooseVariants, variantDetails } from './tuning.js';
import { describeVariants } from './variants.js';
import { ADD, DROPOUT, DROPOUT_IN_PLACE, SWIGLU, SWIGLU_BACKWARD } from './elementwise.js';
import { embedding } from './embedding.js';
import { FOLD, TILE } from './fold.js';
import { NARROW, WIDEN, convert, pieceLabel, pieceOf, pieces } from './half.js';
import { matmulTensors } from './matmul.js';
import { ADAMW, STEP_STATS, SUM_SQUARES } from './optimizer.js';
import { HostUploads, ScratchBuffer } from './reusable.js';
import { RMS_NORM, RMS_NORM_BACKWARD, RMS_NORM_WEIGHT_GRAD } from './rmsNorm.js';
import { embeddingBackward } from './embeddingBackward.js';
import { ROPE } from './rope.js';

class GpuTensor implements OwnedTensor {
  readonly size: number;
  constructor(readonly shape: readonly number[], readonly label: string, public buffer: GPUBuffer | null,
    readonly owner: GpuKernels, readonly dtype: 'float32' | 'float16' = 'float32') {
    this.size = sizeOf(shape);
  }
  get disposed(): boolean {
    return this.buffer === null;
  }
}

export interface WebGPUBackendOptions {
  /** The WebGPU entry point (default: gpu/provider.ts getGPU()). */
  gpu?: GPU;
  /** Bound on batGrad's scratch slab in bytes (default 32 MiB). */
  batScratchBytes?: number;
  /** Binding limit in bytes, below the device's maxStorageBufferBindingSize (default: the device's): to
   *  exercise the row-window paths on small tensors, or to mimic a device with a smaller limit. */
  maxBindingBytes?: number;
  /** One encoder, pass and set of error scopes per dispatch, so that a GPU error names its kernel, and
   *  Dawn's messages printed (default: OSTEON_DEBUG=1 in the environment). */
  debug?: boolean;
  /** Force kernel variants (default: chosen for the adapter; see gpu/device.ts KernelVariants). */
  variants?: Partial<KernelVariants>;
}

/** The buffer of a live tensor (the checked edge has made sure it is one). */
const buf = (t: GpuTensor): GPUBuffer => t.buffer!;
const isHalf = (t: GpuTensor) => t.dtype === 'float16';

/** Options the backend's constructor takes beyond the public ones. */
interface BackendSetup extends WebGPUBackendOptions {
  /** How the context's kernel variants were chosen (gpu/tuning.ts), for `osteon info`. */
  variantSource?: VariantSource;
}

class GpuKernels implements Kernels<GpuTensor> {
  readonly name = 'webgpu' as const;
  readonly info: BackendInfo;
  private readonly uploads: HostUploads;
  private readonly scratch: Record<'batSlab' | 'attentionDelta' | 'decodeLse' | 'rowLoss', ScratchBuffer>;
  private readonly batScratchBytes: number;
  /** The rotary table now in its upload slot (the checked edge hands the same table while it holds). */
  private rotary: { table: Float32Array; buffer: GPUBuffer } | null = null;

  constructor(readonly ctx: GpuContext, options: BackendSetup) {
    const a = ctx.adapter.info;
    this.info = {
      name: 'webgpu',
      device: [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || 'unknown WebGPU adapter',
      details: {
        ...ctx.limits, 'shader-f16': ctx.hasF16, subgroups: ctx.adapter.features.has('subgroups'),
        'software adapter': ctx.software, ...variantDetails(ctx, options.variantSource ?? 'default'),
      },
      variant: describeVariants(ctx.variants),
    };
    this.uploads = new HostUploads(ctx);
    this.scratch = {
      batSlab: new ScratchBuffer(ctx, 'batGrad slab'),
      attentionDelta: new ScratchBuffer(ctx, 'attention delta (dout . out per query row)'),
      decodeLse: new ScratchBuffer(ctx, 'attentionDecode lse (not kept)'),
      rowLoss: new ScratchBuffer(ctx, 'crossEntropy row losses'),
    };
    this.batScratchBytes = options.batScratchBytes ?? DEFAULT_BAT_SCRATCH_BYTES;
  }

  owns(t: Tensor): t is GpuTensor {
    return t instanceof GpuTensor && t.owner === this;
  }
  enter(): void {
    this.ctx.check();
  }

  /** Run `use` on a float32 view of `t`: its own buffer, or a widened temporary that is narrowed back into
   *  `t` afterwards (rounding to float16) when `writeBack`. */
  private asFloat32(t: GpuTensor, writeBack: boolean, use: (b: GPUBuffer) => void): void {
    if (!isHalf(t)) return use(buf(t));
    const tmp = this.create(t.shape, `${t.label} (float32)`);
    try {
      this.copy(t, tmp, t.size);
      use(buf(tmp));
      if (writeBack) this.copy(tmp, t, t.size);
    } finally {
      this.release(tmp);
    }
  }

  create(shape: readonly number[], label: string, data?: Float32Array): GpuTensor {
    return new GpuTensor(shape, label, this.ctx.storageBuffer(sizeOf(shape) * 4, label, data), this);
  }

  /** Float16 storage (two elements per u32 word, gpu/half.wgsl) where the device has shader-f16, else null
   *  (a float32 tensor). Any size up to maxBufferSize: matmul and embedding read float16 tensors over one
   *  binding in row windows, and conversions go a binding-sized piece at a time. */
  createWeight(shape: readonly number[], label: string, data: Float32Array): GpuTensor | null {
    if (!this.ctx.hasF16) return null;
    const t = new GpuTensor(shape, label, this.ctx.storageBuffer(sizeOf(shape) * 2, label, 'any', true), this, 'float16');
    this.writeHalf(t, data);
    return t;
  }

  /** Narrow `data` into the float16 tensor `t` through one float32 upload buffer of at most one binding,
   *  reused by every piece: each piece's pass is submitted before the next upload overwrites it. */
  private writeHalf(t: GpuTensor, data: Float32Array): void {
    const parts = pieces(this.ctx, t.size);
    const wide = this.ctx.storageBuffer((parts[0]?.n ?? 0) * 4, `${t.label} (float32 upload)`, 'any');
    parts.forEach((p, i) => {
      if (i > 0) this.ctx.flush();
      const what = pieceLabel(t.label, p, t.size);
      this.ctx.upload(wide, 0, data.subarray(p.e0, p.e0 + p.n), what);
      this.ctx.launch(NARROW, `write ${what}`, p.n, [wide, pieceOf(buf(t), p, t.size, 2)]);
    });
    this.ctx.release(wide);
  }

  async read(t: GpuTensor): Promise<Float32Array> {
    if (t.size === 0) {
      await this.ctx.settle();
      return new Float32Array(0);
    }
    if (isHalf(t)) {
      // Widened a piece at a time into one float32 buffer of at most one binding (each read waits for its piece).
      const out = new Float32Array(t.size);
      const parts = pieces(this.ctx, t.size);
      const wide = this.ctx.storageBuffer(parts[0].n * 4, `${t.label} (float32 read)`, 'any');
      try {
        for (const p of parts) {
          const what = pieceLabel(t.label, p, t.size);
          this.ctx.launch(WIDEN, `read ${what}`, p.n, [pieceOf(buf(t), p, t.size, 2), wide]);
          out.set(new Float32Array(await this.ctx.readBuffer(wide, p.n * 4, what)), p.e0);
        }
      } finally {
        this.ctx.release(wide);
      }
      return out;
    }
    return new Float32Array(await this.ctx.readBuffer(buf(t), t.size * 4, t.label));
  }

  write(t: GpuTensor, data: Float32Array): void {
    if (isHalf(t)) return this.writeHalf(t, data);
    // In order with the passes: those recorded before still see the old contents.
    this.ctx.write(buf(t), data, t.label);
  }

  copy(src: GpuTensor, dst: GpuTensor, count: number): void {
    const [s, d] = [buf(src), buf(dst)];
    const label = `copy ${src.label} -> ${dst.label}`;
    if (isHalf(src) && !isHalf(dst)) convert(this.ctx, WIDEN, label, s, d, count);
    else if (!isHalf(src) && isHalf(dst)) convert(this.ctx, NARROW, label, s, d, count);
    // Float16 tensors: copy whole u32 words (two elements each).
    else this.ctx.record(label, (e) => e.copyBufferToBuffer(s, 0, d, 0, isHalf(src) ? Math.ceil(count / 2) * 4 : count * 4));
  }

  release(t: GpuTensor): void {
    const b = buf(t);
    t.buffer = null;
    this.ctx.release(b);
  }

  sync(): Promise<void> {
    return this.ctx.idle();
  }

  counters(): DeviceCounters {
    return this.ctx.counters();
  }

  destroy(): void {
    this.ctx.destroy();
  }

  matmul(a: GpuTensor, b: GpuTensor, c: GpuTensor, d: MatmulDims): void {
    // A float16 C (merging LoRA into a half-precision weight) is accumulated in float32, then rounded back.
    this.asFloat32(c, true, (bc) => matmulTensors(this.ctx, `matmul ${c.label} = ${a.label} x ${b.label}`, buf(a), buf(b), bc,
      { ...d, halfA: isHalf(a), halfB: isHalf(b) }));
  }
  fold(wide: GpuTensor, narrow: GpuTensor, d: FoldDims): void {
    this.ctx.launch(FOLD, `fold ${narrow.label} <- ${wide.label}`, d, [buf(wide), buf(narrow)]);
  }
  tile(narrow: GpuTensor, wide: GpuTensor, d: FoldDims): void {
    this.ctx.launch(TILE, `tile ${wide.label} += ${narrow.label}`, d, [buf(narrow), buf(wide)]);
  }
  blockDelta(b: GpuTensor, w: GpuTensor, d: BlockDeltaDims, sign: 1 | -1): void {
    const label = `blockDelta ${w.label} ${sign > 0 ? '+=' : '-='} ${b.label}`;
    this.asFloat32(w, true, (bw) => this.ctx.launch(BLOCK_DELTA, label, { ...d, sign }, [buf(b), bw]));
  }
  blockAffine(w: GpuTensor, m: GpuTensor, c: GpuTensor, dst: GpuTensor, d: BatDims): void {
    this.asFloat32(w, false, (bw) => this.ctx.launch(BAT_AFFINE, `blockAffine ${dst.label} <- ${w.label}`, d, [bw, buf(m), buf(c), buf(dst)]));
  }
  batGrad(w: GpuTensor, g: GpuTensor, x: GpuTensor, db: GpuTensor, d: BatDims): void {
    this.asFloat32(w, false, (bw) => batGrad(this.ctx, `batGrad ${db.label}`, bw, buf(g), buf(x), buf(db), d,
      this.scratch.batSlab, this.batScratchBytes));
  }

  embedding(ids: Int32Array, table: GpuTensor, out: GpuTensor, d: EmbeddingDims): void {
    embedding(this.ctx, `embedding ${out.label} <- ${table.label}`, ids, buf(table), buf(out), d, isHalf(table));
  }
  embeddingBackward(ids: Int32Array, dout: GpuTensor, dtable: GpuTensor, d: EmbeddingDims, accumulate: boolean): void {
    embeddingBackward(this.ctx, `embeddingBackward ${dtable.label} += d ${dout.label}`, ids, buf(dout), buf(dtable), d, accumulate);
  }
  rmsNorm(x: GpuTensor, w: GpuTensor, eps: number, y: GpuTensor, rstd: GpuTensor, d: RowDims): void {
    this.ctx.launch(RMS_NORM, `rmsNorm ${y.label} <- ${x.label}`, { ...d, eps }, [buf(x), buf(w), buf(y), buf(rstd)]);
  }
  rmsNormBackward(x: GpuTensor, w: GpuTensor, rstd: GpuTensor, dy: GpuTensor, dx: GpuTensor, d: RowDims): void {
    this.ctx.launch(RMS_NORM_BACKWARD, `rmsNormBackward ${dx.label} += d ${x.label}`, d, [buf(x), buf(w), buf(rstd), buf(dy), buf(dx)]);
  }
  rmsNormWeightGrad(x: GpuTensor, rstd: GpuTensor, dy: GpuTensor, dw: GpuTensor, d: RowDims): void {
    this.ctx.launch(RMS_NORM_WEIGHT_GRAD, `rmsNormWeightGrad ${dw.label} <- ${x.label}`, d, [buf(x), buf(rstd), buf(dy), buf(dw)]);
  }
  rope(x: GpuTensor, table: Float32Array, d: RopeDims, sign: 1 | -1): void {
    if (this.rotary?.table !== table) this.rotary = { table, buffer: this.uploads.buffer('rope cos/sin', table) };
    this.ctx.launch(ROPE, `${sign > 0 ? 'rope' : 'ropeBackward'} ${x.label}`, { ...d, sign }, [this.rotary.buffer, buf(x)]);
  }
  attention(q: GpuTensor, k: GpuTensor, v: GpuTensor, out: GpuTensor, lse: GpuTensor, d: AttentionDims): void {
    attention(this.ctx, `attention ${out.label}`, buf(q), buf(k), buf(v), buf(out), buf(lse), d);
  }
  attentionBackward(
    q: GpuTensor, k: GpuTensor, v: GpuTensor, out: GpuTensor, lse: GpuTensor, dout: GpuTensor,
    dq: GpuTensor, dk: GpuTensor, dv: GpuTensor, d: AttentionDims,
  ): void {
    const b = { q: buf(q), k: buf(k), v: buf(v), out: buf(out), lse: buf(lse), dout: buf(dout), dq: buf(dq), dk: buf(dk), dv: buf(dv) };
    attentionBackward(this.ctx, `attentionBackward ${out.label}`, b, d, this.scratch.attentionDelta);
  }
  attentionDecode(q: GpuTensor, kNew: GpuTensor, vNew: GpuTensor, kCache: GpuTensor, vCache: GpuTensor, out: GpuTensor, d: DecodeDims): void {
    const b = { q: buf(q), kNew: buf(kNew), vNew: buf(vNew), kCache: buf(kCache), vCache: buf(vCache), out: buf(out) };
    attentionDecode(this.ctx, `attentionDecode ${out.label}`, b, d, this.scratch.decodeLse);
  }
  swiglu(gate: GpuTensor, up: GpuTensor, out: GpuTensor, count: number): void {
    this.ctx.launch(SWIGLU, `swiglu ${out.label}`, count, [buf(gate), buf(up), buf(out)]);
  }
  swigluBackward(gate: GpuTensor, up: GpuTensor, dout: GpuTensor, dgate: GpuTensor, dup: GpuTensor, count: number): void {
    this.ctx.launch(SWIGLU_BACKWARD, `swigluBackward ${dgate.label}, ${dup.label}`, count, [buf(gate), buf(up), buf(dout), buf(dgate), buf(dup)]);
  }
  add(a: GpuTensor, y: GpuTensor, count: number): void {
    this.ctx.launch(ADD, `add ${y.label} += ${a.label}`, count, [buf(a), buf(y)]);
  }
  crossEntropy(logits: GpuTensor, targets: Int32Array, loss: GpuTensor, dlogits: GpuTensor | null, d: CrossEntropyDims, into: LossInto): void {
    crossEntropy(this.ctx, this.scratch.rowLoss, `crossEntropy ${loss.label} <- ${logits.label}`, buf(logits), targets,
      buf(loss), dlogits && buf(dlogits), d, into);
  }
  adamw(param: GpuTensor, grad: GpuTensor, m: GpuTensor, v: GpuTensor, scale: GpuTensor, step: AdamWStep, count: number): void {
    this.ctx.launch(ADAMW, `adamw ${param.label}`, { ...step, count }, [buf(param), buf(grad), buf(m), buf(v), buf(scale)]);
  }
  stepStats(loss: GpuTensor, normSq: GpuTensor, clip: ClipOptions, stats: GpuTensor): void {
    this.ctx.launch(STEP_STATS, `stepStats ${stats.label}`, clip, [buf(loss), buf(normSq), buf(stats)]);
  }
  sumSquares(t: GpuTensor, out: GpuTensor, count: number, accumulate: boolean): void {
    this.ctx.launch(SUM_SQUARES, `sumSquares ${out.label} ${accumulate ? '+=' : '='} |${t.label}|^2`, { count, accumulate }, [buf(t), buf(out)]);
  }
  dropout(x: GpuTensor, out: GpuTensor, d: DropoutDims): void {
    const label = `dropout ${out.label} <- ${x.label}`;
    if (x === out) this.ctx.launch(DROPOUT_IN_PLACE, label, d, [buf(out)]);
    else this.ctx.launch(DROPOUT, label, d, [buf(x), buf(out)]);
  }
}

export class WebGPUBackend extends CheckedBackend<GpuTensor> {
  readonly ctx: GpuContext;
  constructor(ctx: GpuContext, options: BackendSetup = {}) {
    super(new GpuKernels(ctx, options));
    this.ctx = ctx;
  }
}

/** The WebGPU backend on the platform's (or the given) GPU, or null when there is no adapter. */
export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend | null> {
  const ctx = await openDevice(options.gpu, options);
  if (!ctx) return null;
  const source = await chooseVariants(ctx, !!options.variants || Object.keys(ctx.forcedVariants).length > 0);
  return new WebGPUBackend(ctx, { ...options, variantSource: source });
}
