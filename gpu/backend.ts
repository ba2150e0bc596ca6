// The WebGPU backend: tensors are storage buffers on one device, ops record compute passes into a pending
// batch (gpu/device.ts) that is submitted on read/sync, and `read` is the only readback.
// Semantics are those of runtime/backend.ts and the reference (runtime/reference/ops.ts); shape checks are
// the shared ones (runtime/op-shapes.ts, matmulDims) so every backend rejects bad calls with one message.
// It implements the transformer ops of ModelBackend (runtime/model/ops.ts, shape checks in
// runtime/model/op-shapes.ts), the training ops of TrainBackend (runtime/train/ops.ts) and generation's
// cached attention (GenerateBackend, runtime/generate/ops.ts); CPU-side index arrays travel through
// reusable upload buffers (reusable.ts).
// Tensors may exceed one storage binding (up to maxBufferSize): embedding, matmul and crossEntropy, the ops
// that meet vocabulary-sized tensors, walk them in row windows; any other op given one throws naming the op
// and the limit (gpu/device.ts dispatch).
// Half-precision weights (`weight`, with shader-f16): matmul operands and embedding tables are read as
// float16 and accumulated in f32; matmul's C, blockDelta's w and blockAffine/batGrad's w go through a float32
// temporary (written back rounded to float16 where the op writes the weight); copy/read/write convert; every
// other op rejects them (buf).
import { type BackendInfo, type MatmulOptions, type Tensor, matmulDims, sizeOf } from '../runtime/backend.js';
import { batDims, batGradDims, biasDims, blockDeltaDims, sameSize, tileDims } from '../runtime/op-shapes.js';
import type { AttentionOptions } from '../runtime/model/ops.js';
import { attentionDims, crossEntropyDims, embeddingDims, rmsNormDims, ropeDims } from '../runtime/model/op-shapes.js';
import { type AdamWStep, type TrainBackend, dropoutThreshold } from '../runtime/train/ops.js';
import { type GenerateBackend, attentionDecodeDims } from '../runtime/generate/ops.js';
import { AttentionKernels } from './attention.js';
import { BatKernels } from './bat.js';
import { BlockDeltaKernel } from './blockDelta.js';
import { BoneKernels } from './bone.js';
import { CrossEntropyKernels } from './crossEntropy.js';
import { type GpuContext, openDevice } from './device.js';
import { ElementwiseKernels } from './elementwise.js';
import { EmbeddingKernel } from './embedding.js';
import { HalfKernels } from './half.js';
import { MatmulKernel } from './matmul.js';
import { OptimizerKernels } from './optimizer.js';
import { HostUploads } from './reusable.js';
import { RmsNormKernels } from './rmsNorm.js';
import { RopeKernel } from './rope.js';

class GpuTensor implements Tensor {
  readonly size: number;
  constructor(readonly shape: readonly number[], readonly label: string, public buffer: GPUBuffer | null,
    readonly owner: WebGPUBackend, readonly dtype: 'float32' | 'float16' = 'float32') {
    this.size = sizeOf(shape);
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
}

export class WebGPUBackend implements TrainBackend, GenerateBackend {
  readonly name = 'webgpu' as const;
  readonly info: BackendInfo;
  private readonly mm: MatmulKernel;
  private readonly bone: BoneKernels;
  private readonly delta: BlockDeltaKernel;
  private readonly bat: BatKernels;
  private readonly embed: EmbeddingKernel;
  private readonly norm: RmsNormKernels;
  private readonly rot: RopeKernel;
  private readonly attn: AttentionKernels;
  private readonly elementwise: ElementwiseKernels;
  private readonly ce: CrossEntropyKernels;
  private readonly optimizer: OptimizerKernels;
  private readonly half: HalfKernels;

  constructor(readonly ctx: GpuContext, options: WebGPUBackendOptions = {}) {
    const a = ctx.adapter.info;
    this.info = {
      name: 'webgpu',
      device: [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || 'unknown WebGPU adapter',
      details: { ...ctx.limits, 'shader-f16': ctx.hasF16, subgroups: ctx.adapter.features.has('subgroups') },
    };
    this.mm = new MatmulKernel(ctx);
    this.bone = new BoneKernels(ctx);
    this.delta = new BlockDeltaKernel(ctx);
    this.bat = new BatKernels(ctx, this.mm, options.batScratchBytes);
    const uploads = new HostUploads(ctx);
    this.embed = new EmbeddingKernel(ctx, uploads);
    this.norm = new RmsNormKernels(ctx);
    this.rot = new RopeKernel(ctx, uploads);
    this.attn = new AttentionKernels(ctx);
    this.elementwise = new ElementwiseKernels(ctx);
    this.ce = new CrossEntropyKernels(ctx, uploads);
    this.optimizer = new OptimizerKernels(ctx);
    this.half = new HalfKernels(ctx);
  }

  /** The op being encoded, named in errors about its operands. Ops are synchronous, so one field suffices. */
  private op = 'webgpu';

  /** Start encoding `op`: surface errors of earlier work, and name `op` in operand errors (buf). */
  private enter(op: string): void {
    this.ctx.check();
    this.op = op;
  }

  /** The buffer of a live float32 tensor of this backend. */
  private buf(t: Tensor): GPUBuffer {
    if (this.isHalf(t)) {
      throw new Error(`[${this.op}] ${t.label} is stored as float16 (a half-precision weight) and this op reads float32 only: ` +
        'pass it to matmul, embedding, blockAffine, batGrad, blockDelta or copy it into a float32 tensor, or load the ' +
        'model with halfWeights: false');
    }
    return this.anyBuf(t);
  }

  /** The buffer of a live tensor of this backend, float32 or float16. */
  private anyBuf(t: Tensor): GPUBuffer {
    if (!(t instanceof GpuTensor) || t.owner !== this) throw new Error(`[webgpu] ${t.label} belongs to another backend`);
    if (!t.buffer) throw new Error(`[webgpu] ${t.label} was disposed; create a new tensor`);
    return t.buffer;
  }

  private isHalf(t: Tensor): boolean {
    return t.dtype === 'float16';
  }

  /** Run `use` on a float32 view of `t`: its own buffer, or a widened temporary that is narrowed back into
   *  `t` afterwards (rounding to float16) when `writeBack`. */
  private asFloat32(t: Tensor, writeBack: boolean, use: (b: GPUBuffer) => void): void {
    if (!this.isHalf(t)) return use(this.buf(t));
    const tmp = this.tensor(t.shape, undefined, `${t.label} (float32)`);
    try {
      this.copy(t, tmp);
      use(this.buf(tmp));
      if (writeBack) this.copy(tmp, t);
    } finally {
      this.dispose(tmp);
    }
  }

  tensor(shape: readonly number[], data?: Float32Array, label = 'tensor'): Tensor {
    this.ctx.check();
    const size = sizeOf(shape);
    if (data && data.length !== size) throw new Error(`[write] ${label} holds ${size} values, got ${data.length}`);
    return new GpuTensor([...shape], label, this.ctx.storageBuffer(size * 4, label, data), this);
  }

  /** Float16 storage (two elements per u32 word, gpu/half.wgsl) where the device has shader-f16, else a plain
   *  float32 tensor. A weight whose float32 form exceeds one binding stays float32: its conversion and the
   *  float16 reads of matmul and embedding bind whole tensors, while float32 ones are walked in row windows. */
  weight(shape: readonly number[], data: Float32Array, label = 'weight'): Tensor {
    if (!this.ctx.hasF16 || sizeOf(shape) * 4 > this.ctx.maxBinding) return this.tensor(shape, data, label);
    const wide = this.tensor(shape, data, `${label} (float32 upload)`);
    const size = wide.size;
    const t = new GpuTensor([...shape], label, this.ctx.storageBuffer(size * 2, label), this, 'float16');
    this.copy(wide, t);
    this.dispose(wide);
    return t;
  }

  async read(t: Tensor): Promise<Float32Array> {
    this.ctx.check();
    if (this.isHalf(t)) {
      const wide = this.tensor(t.shape, undefined, `${t.label} (float32 read)`);
      this.copy(t, wide);
      try {
        return await this.read(wide);
      } finally {
        this.dispose(wide);
      }
    }
    const b = this.buf(t);
    if (t.size === 0) {
      await this.ctx.settle();
      return new Float32Array(0);
    }
    return new Float32Array(await this.ctx.readBuffer(b, t.size * 4, t.label));
  }

  write(t: Tensor, data: Float32Array): void {
    this.ctx.check();
    if (data.length !== t.size) throw new Error(`[write] ${t.label} holds ${t.size} values, got ${data.length}`);
    if (this.isHalf(t)) {
      const wide = this.tensor(t.shape, data, `${t.label} (float32 write)`);
      this.copy(wide, t);
      this.dispose(wide);
      return;
    }
    const b = this.buf(t);
    // Queue writes run before command buffers submitted later: submit the passes recorded so far first,
    // so that they still see the old contents.
    this.ctx.flush();
    this.ctx.scoped(`write ${t.label}`, () => this.ctx.device.queue.writeBuffer(b, 0, data));
  }

  copy(src: Tensor, dst: Tensor): void {
    this.ctx.check();
    const s = this.anyBuf(src), d = this.anyBuf(dst);
    const n = sameSize('copy', src, dst);
    if (s === d || n === 0) return;
    const label = `copy ${src.label} -> ${dst.label}`;
    const [hs, hd] = [this.isHalf(src), this.isHalf(dst)];
    if (hs && !hd) this.half.widen(label, s, d, n);
    else if (!hs && hd) this.half.narrow(label, s, d, n);
    // Float16 tensors of one size have buffers of one (16-byte rounded) size: copy whole words.
    else this.ctx.record(label, (e) => e.copyBufferToBuffer(s, 0, d, 0, hs ? s.size : n * 4));
  }

  dispose(t: Tensor): void {
    const b = this.anyBuf(t);
    (t as GpuTensor).buffer = null;
    this.ctx.release(b);
  }

  sync(): Promise<void> {
    this.ctx.check();
    return this.ctx.idle();
  }

  destroy(): void {
    this.ctx.destroy();
  }

  matmul(a: Tensor, b: Tensor, c: Tensor, o: MatmulOptions = {}): void {
    this.enter('matmul');
    const { batch, m, n, k } = matmulDims(a, b, c, o);
    const [ba, bb] = [this.anyBuf(a), this.anyBuf(b)];
    // A float16 C (merging LoRA into a half-precision weight) is accumulated in float32, then rounded back.
    this.asFloat32(c, true, (bc) => this.mm.encodeTensors(`matmul ${c.label} = ${a.label} x ${b.label}`, ba, bb, bc, {
      batch, m, n, k, transA: !!o.transA, transB: !!o.transB, alpha: o.alpha ?? 1, accumulate: !!o.accumulate,
      halfA: this.isHalf(a), halfB: this.isHalf(b),
    }));
  }

  addBias(y: Tensor, bias: Tensor): void {
    this.enter('addBias');
    const { n, out } = biasDims(y, bias);
    // y seen as one row of N * O values: y[e] += bias[e mod O].
    this.bone.tile(`addBias ${y.label} += ${bias.label}`, this.buf(bias), this.buf(y), 1, n * out, out);
  }

  chunkSum(x: Tensor, s: Tensor): void {
    this.enter('chunkSum');
    const d = tileDims('chunkSum', x, s, false);
    this.bone.fold(`chunkSum ${s.label} <- ${x.label}`, this.buf(x), this.buf(s), d.n, d.wide, d.r);
  }

  chunkScatterAdd(ds: Tensor, dx: Tensor): void {
    this.enter('chunkScatterAdd');
    const d = tileDims('chunkScatterAdd', dx, ds, false);
    this.bone.tile(`chunkScatterAdd ${dx.label} += ${ds.label}`, this.buf(ds), this.buf(dx), d.n, d.wide, d.r);
  }

  tileAdd(p: Tensor, y: Tensor): void {
    this.enter('tileAdd');
    const d = tileDims('tileAdd', y, p, true);
    this.bone.tile(`tileAdd ${y.label} += ${p.label}`, this.buf(p), this.buf(y), d.n, d.wide, d.r);
  }

  foldSum(g: Tensor, folded: Tensor): void {
    this.enter('foldSum');
    const d = tileDims('foldSum', g, folded, true);
    this.bone.fold(`foldSum ${folded.label} <- ${g.label}`, this.buf(g), this.buf(folded), d.n, d.wide, d.r);
  }

  blockDelta(b: Tensor, w: Tensor, sign: 1 | -1): void {
    this.enter('blockDelta');
    const d = blockDeltaDims(b, w);
    const label = `blockDelta ${w.label} ${sign > 0 ? '+=' : '-='} ${b.label}`;
    const bb = this.buf(b);
    this.asFloat32(w, true, (bw) => this.delta.encode(label, bb, bw, d.out, d.inF, d.r, d.m, sign));
  }

  blockAffine(w: Tensor, m: Tensor, c: Tensor, dst: Tensor): void {
    this.enter('blockAffine');
    const d = batDims('blockAffine', w, m, c);
    sameSize('blockAffine', w, dst);
    const [bm, bc, bd] = [this.buf(m), this.buf(c), this.buf(dst)];
    this.asFloat32(w, false, (bw) => this.bat.affine(`blockAffine ${dst.label} <- ${w.label}`, bw, bm, bc, bd, d.out, d.inF, d.r));
  }

  batGrad(w: Tensor, g: Tensor, x: Tensor, db: Tensor): void {
    this.enter('batGrad');
    const d = batGradDims(w, g, x, db);
    const [bg, bx, bdb] = [this.buf(g), this.buf(x), this.buf(db)];
    this.asFloat32(w, false, (bw) => this.bat.grad(`batGrad ${db.label}`, bw, bg, bx, bdb, d.n, d.out, d.inF, d.r));
  }

  // ---- transformer ops (ModelBackend) ----------------------------------------------------------------
  embedding(ids: Int32Array, table: Tensor, out: Tensor): void {
    this.enter('embedding');
    const d = embeddingDims(ids, table, out);
    this.embed.encode(`embedding ${out.label} <- ${table.label}`, ids, this.anyBuf(table), this.buf(out), d.vocab, d.width,
      this.isHalf(table));
  }

  rmsNorm(x: Tensor, w: Tensor, eps: number, y: Tensor, rstd: Tensor): void {
    this.enter('rmsNorm');
    const d = rmsNormDims('rmsNorm', x, w, rstd, y);
    this.norm.forward(`rmsNorm ${y.label} <- ${x.label}`, this.buf(x), this.buf(w), this.buf(y), this.buf(rstd), d.n, d.width, eps);
  }

  rmsNormBackward(x: Tensor, w: Tensor, rstd: Tensor, dy: Tensor, dx: Tensor): void {
    this.enter('rmsNormBackward');
    const d = rmsNormDims('rmsNormBackward', x, w, rstd, dy, dx);
    this.norm.backward(`rmsNormBackward ${dx.label} += d ${x.label}`, this.buf(x), this.buf(w), this.buf(rstd), this.buf(dy), this.buf(dx), d.n, d.width);
  }

  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array): void {
    this.enter('rope');
    const d = ropeDims('rope', x, positions, invFreq);
    this.rot.encode(`rope ${x.label}`, this.buf(x), positions, invFreq, d.heads, 1);
  }

  ropeBackward(dx: Tensor, positions: Int32Array, invFreq: Float32Array): void {
    this.enter('ropeBackward');
    const d = ropeDims('ropeBackward', dx, positions, invFreq);
    this.rot.encode(`ropeBackward ${dx.label}`, this.buf(dx), positions, invFreq, d.heads, -1);
  }

  attention(q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void {
    this.enter('attention');
    const d = attentionDims('attention', q, k, v, out, lse, o);
    const b = { q: this.buf(q), k: this.buf(k), v: this.buf(v), out: this.buf(out), lse: this.buf(lse) };
    this.attn.forward(`attention ${out.label}`, b, d);
  }

  attentionBackward(
    q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, dout: Tensor, dq: Tensor, dk: Tensor, dv: Tensor, o: AttentionOptions,
  ): void {
    this.enter('attentionBackward');
    const d = attentionDims('attentionBackward', q, k, v, out, lse, o, [dq, dk, dv, dout]);
    const b = { q: this.buf(q), k: this.buf(k), v: this.buf(v), out: this.buf(out), lse: this.buf(lse) };
    this.attn.backward(`attentionBackward ${out.label}`, b, this.buf(dout), this.buf(dq), this.buf(dk), this.buf(dv), d);
  }

  attentionDecode(q: Tensor, kNew: Tensor, vNew: Tensor, kCache: Tensor, vCache: Tensor, past: number, out: Tensor, o: AttentionOptions): void {
    this.enter('attentionDecode');
    const d = attentionDecodeDims(q, kNew, vNew, kCache, vCache, past, out, o);
    const b = { q: this.buf(q), kNew: this.buf(kNew), vNew: this.buf(vNew), kCache: this.buf(kCache), vCache: this.buf(vCache), out: this.buf(out) };
    this.attn.decode(`attentionDecode ${out.label}`, b, d);
  }

  swiglu(gate: Tensor, up: Tensor, out: Tensor): void {
    this.enter('swiglu');
    sameSize('swiglu', gate, up);
    const n = sameSize('swiglu', gate, out);
    this.elementwise.encode(`swiglu ${out.label}`, 'swiglu', n, [this.buf(gate), this.buf(up), this.buf(out)]);
  }

  swigluBackward(gate: Tensor, up: Tensor, dout: Tensor, dgate: Tensor, dup: Tensor): void {
    this.enter('swigluBackward');
    for (const t of [up, dout, dgate, dup]) sameSize('swigluBackward', gate, t);
    this.elementwise.encode(`swigluBackward ${dgate.label}, ${dup.label}`, 'swigluBackward', gate.size,
      [this.buf(gate), this.buf(up), this.buf(dout), this.buf(dgate), this.buf(dup)]);
  }

  add(a: Tensor, y: Tensor): void {
    this.enter('add');
    const n = sameSize('add', a, y);
    this.elementwise.encode(`add ${y.label} += ${a.label}`, 'add', n, [this.buf(a), this.buf(y)]);
  }

  crossEntropy(logits: Tensor, targets: Int32Array, loss: Tensor, dlogits: Tensor | null): void {
    this.enter('crossEntropy');
    const d = crossEntropyDims(logits, targets, loss, dlogits);
    this.ce.encode(`crossEntropy ${loss.label} <- ${logits.label}`, this.buf(logits), targets, this.buf(loss),
      dlogits && this.buf(dlogits), d.n, d.vocab, d.count);
  }

  // ---- training ops (TrainBackend) -------------------------------------------------------------------
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: AdamWStep): void {
    this.enter('adamw');
    for (const t of [grad, m, v]) sameSize('adamw', param, t);
    this.optimizer.adamw(`adamw ${param.label}`, this.buf(param), this.buf(grad), this.buf(m), this.buf(v), param.size, step);
  }

  sumSquares(t: Tensor, out: Tensor, accumulate: boolean): void {
    this.enter('sumSquares');
    if (out.size !== 1) throw new Error(`[sumSquares] ${out.label} must hold one value, has ${out.size}`);
    this.optimizer.sumSquares(`sumSquares ${out.label} ${accumulate ? '+=' : '='} |${t.label}|^2`, this.buf(t), this.buf(out), t.size, accumulate);
  }

  dropout(x: Tensor, out: Tensor, p: number, seed: number): void {
    this.enter('dropout');
    const n = sameSize('dropout', x, out);
    const threshold = dropoutThreshold(p);
    this.elementwise.dropout(`dropout ${out.label} <- ${x.label}`, this.buf(x), this.buf(out), n, seed >>> 0, threshold, 1 / (1 - p));
  }
}

/** The WebGPU backend on the platform's (or the given) GPU, or null when there is no adapter. */
export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend | null> {
  const ctx = await openDevice(options.gpu, options.maxBindingBytes);
  return ctx && new WebGPUBackend(ctx, options);
}
