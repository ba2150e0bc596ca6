// The WebGPU backend: tensors are storage buffers on one device, ops record compute passes into a pending
// batch (gpu/device.ts) that is submitted on read/sync, and `read` is the only readback.
// Semantics are those of runtime/backend.ts and the reference (runtime/reference/ops.ts); shape checks are
// the shared ones (runtime/op-shapes.ts, matmulDims) so every backend rejects bad calls with one message.
// It does not split tensors over the binding limit: such a tensor is refused with the limit named.
import { type Backend, type BackendInfo, type MatmulOptions, type Tensor, matmulDims, sizeOf } from '../runtime/backend.js';
import { batDims, batGradDims, biasDims, blockDeltaDims, sameSize, tileDims } from '../runtime/op-shapes.js';
import { BatKernels } from './bat.js';
import { BlockDeltaKernel } from './blockDelta.js';
import { BoneKernels } from './bone.js';
import { type GpuContext, openDevice } from './device.js';
import { MatmulKernel } from './matmul.js';

class GpuTensor implements Tensor {
  readonly size: number;
  constructor(readonly shape: readonly number[], readonly label: string, public buffer: GPUBuffer | null,
    readonly owner: WebGPUBackend) {
    this.size = sizeOf(shape);
  }
}

export interface WebGPUBackendOptions {
  /** The WebGPU entry point (default: gpu/provider.ts getGPU()). */
  gpu?: GPU;
  /** Bound on batGrad's scratch slab in bytes (default 32 MiB). */
  batScratchBytes?: number;
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly info: BackendInfo;
  private readonly mm: MatmulKernel;
  private readonly bone: BoneKernels;
  private readonly delta: BlockDeltaKernel;
  private readonly bat: BatKernels;

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
  }

  /** The buffer of a live tensor of this backend; also surfaces errors of earlier work. */
  private buf(t: Tensor): GPUBuffer {
    if (!(t instanceof GpuTensor) || t.owner !== this) throw new Error(`[webgpu] ${t.label} belongs to another backend`);
    if (!t.buffer) throw new Error(`[webgpu] ${t.label} was disposed; create a new tensor`);
    return t.buffer;
  }

  tensor(shape: readonly number[], data?: Float32Array, label = 'tensor'): Tensor {
    this.ctx.check();
    const size = sizeOf(shape);
    if (data && data.length !== size) throw new Error(`[write] ${label} holds ${size} values, got ${data.length}`);
    return new GpuTensor([...shape], label, this.ctx.storageBuffer(size * 4, label, data), this);
  }

  async read(t: Tensor): Promise<Float32Array> {
    this.ctx.check();
    const b = this.buf(t);
    if (t.size === 0) {
      await this.ctx.settle();
      return new Float32Array(0);
    }
    return new Float32Array(await this.ctx.readBuffer(b, t.size * 4, t.label));
  }

  write(t: Tensor, data: Float32Array): void {
    this.ctx.check();
    const b = this.buf(t);
    if (data.length !== t.size) throw new Error(`[write] ${t.label} holds ${t.size} values, got ${data.length}`);
    // Queue writes run before command buffers submitted later: submit the passes recorded so far first,
    // so that they still see the old contents.
    this.ctx.flush();
    this.ctx.scoped(`write ${t.label}`, () => this.ctx.device.queue.writeBuffer(b, 0, data));
  }

  copy(src: Tensor, dst: Tensor): void {
    this.ctx.check();
    const s = this.buf(src), d = this.buf(dst);
    const n = sameSize('copy', src, dst);
    if (s === d || n === 0) return;
    this.ctx.record(`copy ${src.label} -> ${dst.label}`, (e) => e.copyBufferToBuffer(s, 0, d, 0, n * 4));
  }

  dispose(t: Tensor): void {
    const b = this.buf(t);
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
    this.ctx.check();
    const { batch, m, n, k } = matmulDims(a, b, c, o);
    const operand = (t: Tensor, rows: number, cols: number) => ({ buffer: this.buf(t), ld: cols, offset: 0, stride: rows * cols });
    this.mm.encode(`matmul ${c.label} = ${a.label} x ${b.label}`, {
      a: o.transA ? operand(a, k, m) : operand(a, m, k),
      b: o.transB ? operand(b, n, k) : operand(b, k, n),
      c: operand(c, m, n),
      batch, m, n, k, transA: !!o.transA, transB: !!o.transB, alpha: o.alpha ?? 1, accumulate: !!o.accumulate,
    });
  }

  addBias(y: Tensor, bias: Tensor): void {
    this.ctx.check();
    const { n, out } = biasDims(y, bias);
    // y seen as one row of N * O values: y[e] += bias[e mod O].
    this.bone.tile(`addBias ${y.label} += ${bias.label}`, this.buf(bias), this.buf(y), 1, n * out, out);
  }

  chunkSum(x: Tensor, s: Tensor): void {
    this.ctx.check();
    const d = tileDims('chunkSum', x, s, false);
    this.bone.fold(`chunkSum ${s.label} <- ${x.label}`, this.buf(x), this.buf(s), d.n, d.wide, d.r);
  }

  chunkScatterAdd(ds: Tensor, dx: Tensor): void {
    this.ctx.check();
    const d = tileDims('chunkScatterAdd', dx, ds, false);
    this.bone.tile(`chunkScatterAdd ${dx.label} += ${ds.label}`, this.buf(ds), this.buf(dx), d.n, d.wide, d.r);
  }

  tileAdd(p: Tensor, y: Tensor): void {
    this.ctx.check();
    const d = tileDims('tileAdd', y, p, true);
    this.bone.tile(`tileAdd ${y.label} += ${p.label}`, this.buf(p), this.buf(y), d.n, d.wide, d.r);
  }

  foldSum(g: Tensor, folded: Tensor): void {
    this.ctx.check();
    const d = tileDims('foldSum', g, folded, true);
    this.bone.fold(`foldSum ${folded.label} <- ${g.label}`, this.buf(g), this.buf(folded), d.n, d.wide, d.r);
  }

  blockDelta(b: Tensor, w: Tensor, sign: 1 | -1): void {
    this.ctx.check();
    const d = blockDeltaDims(b, w);
    this.delta.encode(`blockDelta ${w.label} ${sign > 0 ? '+=' : '-='} ${b.label}`, this.buf(b), this.buf(w), d.out, d.inF, d.r, d.m, sign);
  }

  blockAffine(w: Tensor, m: Tensor, c: Tensor, dst: Tensor): void {
    this.ctx.check();
    const d = batDims('blockAffine', w, m, c);
    sameSize('blockAffine', w, dst);
    this.bat.affine(`blockAffine ${dst.label} <- ${w.label}`, this.buf(w), this.buf(m), this.buf(c), this.buf(dst), d.out, d.inF, d.r);
  }

  batGrad(w: Tensor, g: Tensor, x: Tensor, db: Tensor): void {
    this.ctx.check();
    const d = batGradDims(w, g, x, db);
    this.bat.grad(`batGrad ${db.label}`, this.buf(w), this.buf(g), this.buf(x), this.buf(db), d.n, d.out, d.inF, d.r);
  }
}

/** The WebGPU backend on the platform's (or the given) GPU, or null when there is no adapter. */
export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<Backend | null> {
  const ctx = await openDevice(options.gpu);
  return ctx && new WebGPUBackend(ctx, options);
}
