// The checked edge of every backend: each public op of runtime/backend.ts checks its shapes
// (runtime/shapes.ts), the ownership and liveness of every operand, which operands may be float16 weights,
// and aliasing, here and only here, then calls the backend's kernel with the dimensions it needs. The
// reference, wasm and WebGPU backends implement `Kernels` (kernels only: no checks) and extend
// `CheckedBackend`, so they accept and reject exactly the same calls with the same messages.
// It also forms the one rotary cos/sin table that every backend's rope kernel reads.
// Letters: see runtime/backend.ts.
import type {
  AdamWStep, AttentionOptions, Backend, BackendInfo, BackendName, ClipOptions, DeviceCounters, HalfBits, LossInto,
  MatmulOptions, Tensor,
} from './backend.js';
import {
  type AttentionDims, type BatDims, type BlockDeltaDims, type CrossEntropyDims, type DecodeDims, type DropoutDims,
  type EmbeddingDims, type FoldDims, type MatmulDims, type RopeDims, type RowDims,
  attentionDecodeDims, attentionDims, batDims, batGradDims, blockDeltaDims, crossEntropyDims, dataSize, dropoutDims,
  embeddingDims, foldDims, matmulDims, rmsNormDims, ropeDims, sameSize, scalarDims, sizeOf,
} from './shapes.js';
import { toFloat32 } from './safetensors.js';

/** A backend's tensor: the public Tensor plus whether its memory is still held. */
export interface OwnedTensor extends Tensor {
  readonly disposed: boolean;
}

/** What a backend implements: storage and one kernel per op, called only with checked operands. Kernels
 *  get the backend's own tensor type T, alive, float32 unless the op accepts float16 (see Backend). */
export interface Kernels<T extends OwnedTensor> {
  readonly name: BackendName;
  readonly info: BackendInfo;
  /** Whether `t` was made by this backend. */
  owns(t: Tensor): t is T;
  /** Called first by every public call: refuse a destroyed backend, surface earlier device errors. */
  enter(op: string): void;

  create(shape: readonly number[], label: string, data?: Float32Array): T;
  /** A float16 weight, or null where the backend keeps weights in float32. */
  createWeight(shape: readonly number[], label: string, data: Float32Array): T | null;
  /** A float16 weight straight from a checkpoint's 2-byte values, or null (then they are widened to float32
   *  and go through `createWeight`). Optional: backends without it always take the float32 path. */
  createWeightBits?(shape: readonly number[], label: string, data: HalfBits): T | null;
  read(t: T): Promise<Float32Array>;
  write(t: T, data: Float32Array): void;
  copy(src: T, dst: T, count: number): void;
  release(t: T): void;
  sync(): Promise<void>;
  destroy(): void;
  /** The device traffic so far, where the backend has a device (see Backend.counters). */
  counters?(): DeviceCounters;

  matmul(a: T, b: T, c: T, d: MatmulDims): void;
  fold(wide: T, narrow: T, d: FoldDims): void;
  tile(narrow: T, wide: T, d: FoldDims): void;
  blockDelta(b: T, w: T, d: BlockDeltaDims, sign: 1 | -1): void;
  blockAffine(w: T, m: T, c: T, dst: T, d: BatDims): void;
  batGrad(w: T, g: T, x: T, db: T, d: BatDims): void;
  embedding(ids: Int32Array, table: T, out: T, d: EmbeddingDims): void;
  embeddingBackward(ids: Int32Array, dout: T, dtable: T, d: EmbeddingDims, accumulate: boolean): void;
  rmsNorm(x: T, w: T, eps: number, y: T, rstd: T, d: RowDims): void;
  rmsNormBackward(x: T, w: T, rstd: T, dy: T, dx: T, d: RowDims): void;
  rmsNormWeightGrad(x: T, rstd: T, dy: T, dw: T, d: RowDims): void;
  /** Rotate x by angle sign * a, with the cos/sin table of `ropeTable`. */
  rope(x: T, table: Float32Array, d: RopeDims, sign: 1 | -1): void;
  attention(q: T, k: T, v: T, out: T, lse: T, d: AttentionDims): void;
  attentionBackward(q: T, k: T, v: T, out: T, lse: T, dout: T, dq: T, dk: T, dv: T, d: AttentionDims): void;
  attentionDecode(q: T, kNew: T, vNew: T, kCache: T, vCache: T, out: T, d: DecodeDims): void;
  swiglu(gate: T, up: T, out: T, count: number): void;
  swigluBackward(gate: T, up: T, dout: T, dgate: T, dup: T, count: number): void;
  add(a: T, y: T, count: number): void;
  crossEntropy(logits: T, targets: Int32Array, loss: T, dlogits: T | null, d: CrossEntropyDims, into: LossInto): void;
  adamw(param: T, grad: T, m: T, v: T, scale: T, step: AdamWStep, count: number): void;
  sumSquares(t: T, out: T, count: number, accumulate: boolean): void;
  stepStats(loss: T, normSq: T, clip: ClipOptions, stats: T): void;
  /** x and out may be one tensor. */
  dropout(x: T, out: T, d: DropoutDims): void;
}

/** The rotary table [N, 2, E/2]: for each token the cosines, then the sines, of positions[n] * invFreq[i],
 *  formed in float64 (a float32 angle would already be off by 5e-4 rad at position 4096). */
export function ropeTable(positions: Int32Array, invFreq: Float32Array): Float32Array {
  const half = invFreq.length;
  const table = new Float32Array(positions.length * 2 * half);
  for (let t = 0; t < positions.length; t++) {
    for (let i = 0; i < half; i++) {
      const a = positions[t] * invFreq[i];
      table[t * 2 * half + i] = Math.cos(a);
      table[t * 2 * half + half + i] = Math.sin(a);
    }
  }
  return table;
}

/** 2-byte checkpoint values as float32 (exact: every bfloat16 and float16 value is a float32). */
export function halfBitsToFloat32(data: HalfBits): Float32Array {
  const bytes = new Uint8Array(data.bits.buffer, data.bits.byteOffset, data.bits.byteLength);
  return toFloat32({ name: 'weight', dtype: data.dtype === 'bfloat16' ? 'BF16' : 'F16', shape: [data.bits.length], bytes });
}

const sameValues = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

export class CheckedBackend<T extends OwnedTensor> implements Backend {
  readonly name: BackendName;
  readonly info: BackendInfo;
  /** The last rotary table and what it was formed from: every layer of a pass rotates with the same
   *  positions, so the table is formed once per pass (and a kernel may keep its upload by identity). */
  private rotary: { positions: Int32Array; invFreq: Float32Array; table: Float32Array } | null = null;

  constructor(protected readonly k: Kernels<T>) {
    this.name = k.name;
    this.info = k.info;
  }

  /** `t` as this backend's live tensor, or an error naming it. */
  private own(t: Tensor): T {
    if (!this.k.owns(t)) throw new Error(`[${this.name}] ${t.label} belongs to another backend`);
    if (t.disposed) throw new Error(`[${this.name}] ${t.label} was disposed; create a new tensor`);
    return t;
  }

  /** `t` as a live float32 tensor of this backend. */
  private f32(op: string, t: Tensor): T {
    const own = this.own(t);
    if (t.dtype === 'float16') {
      throw new Error(`[${op}] ${t.label} is stored as float16 (a half-precision weight) and this op reads float32 only: ` +
        'pass it to matmul, embedding, blockAffine, batGrad, blockDelta or copy it into a float32 tensor, or load the ' +
        'model with halfWeights: false');
    }
    return own;
  }

  private all(op: string, ts: Tensor[]): T[] {
    return ts.map((t) => this.f32(op, t));
  }

  tensor(shape: readonly number[], data?: Float32Array, label = 'tensor'): Tensor {
    this.k.enter('tensor');
    const size = sizeOf(shape);
    if (data) dataSize(label, size, data);
    return this.k.create([...shape], label, data);
  }
  weight(shape: readonly number[], data: Float32Array | HalfBits, label = 'weight'): Tensor {
    this.k.enter('weight');
    if (!(data instanceof Float32Array)) {
      dataSize(label, sizeOf(shape), data.bits);
      const direct = this.k.createWeightBits?.([...shape], label, data);
      if (direct) return direct;
      data = halfBitsToFloat32(data);
    }
    dataSize(label, sizeOf(shape), data);
    return this.k.createWeight([...shape], label, data) ?? this.k.create([...shape], label, data);
  }
  async read(t: Tensor): Promise<Float32Array> {
    this.k.enter('read');
    return this.k.read(this.own(t));
  }
  write(t: Tensor, data: Float32Array): void {
    this.k.enter('write');
    dataSize(t.label, t.size, data);
    this.k.write(this.own(t), data);
  }
  copy(src: Tensor, dst: Tensor): void {
    this.k.enter('copy');
    const count = sameSize('copy', src, dst);
    const [s, d] = [this.own(src), this.own(dst)];
    if (s !== d && count > 0) this.k.copy(s, d, count);
  }
  dispose(t: Tensor): void {
    this.k.release(this.own(t));
  }
  sync(): Promise<void> {
    this.k.enter('sync');
    return this.k.sync();
  }
  counters(): DeviceCounters | null {
    return this.k.counters?.() ?? null;
  }
  destroy(): void {
    this.k.destroy();
  }

  matmul(a: Tensor, b: Tensor, c: Tensor, o: MatmulOptions = {}): void {
    this.k.enter('matmul');
    const d = matmulDims(a, b, c, o);
    this.k.matmul(this.own(a), this.own(b), this.own(c), d);
  }
  fold(wide: Tensor, narrow: Tensor, pad = false): void {
    this.k.enter('fold');
    const d = foldDims('fold', wide, narrow, pad);
    const [w, n] = this.all('fold', [wide, narrow]);
    this.k.fold(w, n, d);
  }
  tile(narrow: Tensor, wide: Tensor, pad = false): void {
    this.k.enter('tile');
    const d = foldDims('tile', wide, narrow, pad);
    const [n, w] = this.all('tile', [narrow, wide]);
    this.k.tile(n, w, d);
  }
  blockDelta(b: Tensor, w: Tensor, sign: 1 | -1): void {
    this.k.enter('blockDelta');
    const d = blockDeltaDims(b, w);
    this.k.blockDelta(this.f32('blockDelta', b), this.own(w), d, sign);
  }
  blockAffine(w: Tensor, m: Tensor, c: Tensor, dst: Tensor): void {
    this.k.enter('blockAffine');
    const d = batDims('blockAffine', w, m, c);
    sameSize('blockAffine', w, dst);
    if (dst === w) throw new Error(`[blockAffine] dst ${dst.label} must not alias w; pass a separate tensor`);
    this.k.blockAffine(this.own(w), ...this.all('blockAffine', [m, c, dst]) as [T, T, T], d);
  }
  batGrad(w: Tensor, g: Tensor, x: Tensor, db: Tensor): void {
    this.k.enter('batGrad');
    const d = batGradDims(w, g, x, db);
    this.k.batGrad(this.own(w), ...this.all('batGrad', [g, x, db]) as [T, T, T], d);
  }

  embedding(ids: Int32Array, table: Tensor, out: Tensor): void {
    this.k.enter('embedding');
    const d = embeddingDims(ids, table, out);
    this.k.embedding(ids, this.own(table), this.f32('embedding', out), d);
  }
  embeddingBackward(ids: Int32Array, dout: Tensor, dtable: Tensor, accumulate: boolean): void {
    this.k.enter('embeddingBackward');
    const d = embeddingDims(ids, dtable, dout, 'embeddingBackward');
    const [dt, tt] = this.all('embeddingBackward', [dout, dtable]);
    this.k.embeddingBackward(ids, dt, tt, d, accumulate);
  }
  rmsNorm(x: Tensor, w: Tensor, eps: number, y: Tensor, rstd: Tensor): void {
    this.k.enter('rmsNorm');
    const d = rmsNormDims('rmsNorm', x, w, rstd, y);
    const [xt, wt, yt, rt] = this.all('rmsNorm', [x, w, y, rstd]);
    this.k.rmsNorm(xt, wt, eps, yt, rt, d);
  }
  rmsNormBackward(x: Tensor, w: Tensor, rstd: Tensor, dy: Tensor, dx: Tensor): void {
    this.k.enter('rmsNormBackward');
    const d = rmsNormDims('rmsNormBackward', x, w, rstd, dy, dx);
    const [xt, wt, rt, dyt, dxt] = this.all('rmsNormBackward', [x, w, rstd, dy, dx]);
    this.k.rmsNormBackward(xt, wt, rt, dyt, dxt, d);
  }
  rmsNormWeightGrad(x: Tensor, rstd: Tensor, dy: Tensor, dw: Tensor): void {
    this.k.enter('rmsNormWeightGrad');
    const d = rmsNormDims('rmsNormWeightGrad', x, dw, rstd, dy);
    const [xt, rt, dyt, dwt] = this.all('rmsNormWeightGrad', [x, rstd, dy, dw]);
    this.k.rmsNormWeightGrad(xt, rt, dyt, dwt, d);
  }
  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array): void {
    this.rotate('rope', x, positions, invFreq, 1);
  }
  ropeBackward(dx: Tensor, positions: Int32Array, invFreq: Float32Array): void {
    this.rotate('ropeBackward', dx, positions, invFreq, -1);
  }
  private rotate(op: string, x: Tensor, positions: Int32Array, invFreq: Float32Array, sign: 1 | -1): void {
    this.k.enter(op);
    const d = ropeDims(op, x, positions, invFreq);
    const xt = this.f32(op, x);
    const r = this.rotary;
    if (!r || !sameValues(r.positions, positions) || !sameValues(r.invFreq, invFreq)) {
      this.rotary = { positions: positions.slice(), invFreq: invFreq.slice(), table: ropeTable(positions, invFreq) };
    }
    this.k.rope(xt, this.rotary!.table, d, sign);
  }
  attention(q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void {
    this.k.enter('attention');
    const d = attentionDims('attention', q, k, v, out, lse, o);
    const [qt, kt, vt, ot, lt] = this.all('attention', [q, k, v, out, lse]);
    this.k.attention(qt, kt, vt, ot, lt, d);
  }
  attentionBackward(
    q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, dout: Tensor, dq: Tensor, dk: Tensor, dv: Tensor, o: AttentionOptions,
  ): void {
    this.k.enter('attentionBackward');
    const d = attentionDims('attentionBackward', q, k, v, out, lse, o, [dq, dk, dv, dout]);
    const t = this.all('attentionBackward', [q, k, v, out, lse, dout, dq, dk, dv]);
    this.k.attentionBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], d);
  }
  attentionDecode(q: Tensor, kNew: Tensor, vNew: Tensor, kCache: Tensor, vCache: Tensor, past: number, out: Tensor, o: AttentionOptions): void {
    this.k.enter('attentionDecode');
    const d = attentionDecodeDims(q, kNew, vNew, kCache, vCache, past, out, o);
    const t = this.all('attentionDecode', [q, kNew, vNew, kCache, vCache, out]);
    this.k.attentionDecode(t[0], t[1], t[2], t[3], t[4], t[5], d);
  }
  swiglu(gate: Tensor, up: Tensor, out: Tensor): void {
    this.k.enter('swiglu');
    sameSize('swiglu', gate, up);
    const count = sameSize('swiglu', gate, out);
    const [g, u, o] = this.all('swiglu', [gate, up, out]);
    this.k.swiglu(g, u, o, count);
  }
  swigluBackward(gate: Tensor, up: Tensor, dout: Tensor, dgate: Tensor, dup: Tensor): void {
    this.k.enter('swigluBackward');
    for (const t of [up, dout, dgate, dup]) sameSize('swigluBackward', gate, t);
    const t = this.all('swigluBackward', [gate, up, dout, dgate, dup]);
    this.k.swigluBackward(t[0], t[1], t[2], t[3], t[4], gate.size);
  }
  add(a: Tensor, y: Tensor): void {
    this.k.enter('add');
    const count = sameSize('add', a, y);
    const [at, yt] = this.all('add', [a, y]);
    this.k.add(at, yt, count);
  }
  crossEntropy(logits: Tensor, targets: Int32Array, loss: Tensor, dlogits: Tensor | null, into: LossInto = { weight: 1, accumulate: false }): void {
    this.k.enter('crossEntropy');
    const d = crossEntropyDims(logits, targets, loss, dlogits);
    const [lt, ls] = this.all('crossEntropy', [logits, loss]);
    this.k.crossEntropy(lt, targets, ls, dlogits && this.f32('crossEntropy', dlogits), d, into);
  }
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, scale: Tensor, step: AdamWStep): void {
    this.k.enter('adamw');
    for (const t of [grad, m, v]) sameSize('adamw', param, t);
    if (scale.size < 1) throw new Error(`[adamw] the scale ${scale.label} is empty; pass stepStats' output`);
    const [p, g, mt, vt, st] = this.all('adamw', [param, grad, m, v, scale]);
    this.k.adamw(p, g, mt, vt, st, step, param.size);
  }
  stepStats(loss: Tensor, normSq: Tensor, clip: ClipOptions, stats: Tensor): void {
    this.k.enter('stepStats');
    scalarDims('stepStats', loss);
    scalarDims('stepStats', normSq);
    if (stats.size !== 3) throw new Error(`[stepStats] ${stats.label} must hold 3 values (scale, loss, gradient norm), has ${stats.size}`);
    if (!(clip.maxNorm >= 0) || !(clip.divisor > 0)) {
      throw new Error(`[stepStats] maxNorm ${clip.maxNorm} must be 0 or more and divisor ${clip.divisor} more than 0`);
    }
    const [l, n, s] = this.all('stepStats', [loss, normSq, stats]);
    this.k.stepStats(l, n, clip, s);
  }
  sumSquares(t: Tensor, out: Tensor, accumulate: boolean): void {
    this.k.enter('sumSquares');
    scalarDims('sumSquares', out);
    const [tt, ot] = this.all('sumSquares', [t, out]);
    this.k.sumSquares(tt, ot, t.size, accumulate);
  }
  dropout(x: Tensor, out: Tensor, p: number, seed: number): void {
    this.k.enter('dropout');
    const d = dropoutDims(x, out, p, seed);
    const [xt, ot] = this.all('dropout', [x, out]);
    this.k.dropout(xt, ot, d);
  }
}
