// The reference backend: every op from runtime/reference/ops.ts behind the Backend interface.
// Slow and obvious on purpose; tests compare the wasm and webgpu backends against it.
// It also implements the transformer ops of ModelBackend (runtime/model/ops.ts) and the training ops of
// TrainBackend (runtime/train/ops.ts) and the cached attention of GenerateBackend (runtime/generate/ops.ts).
import { type BackendInfo, type MatmulOptions, type Tensor, matmulDims, sizeOf } from '../backend.js';
import { batDims, batGradDims, biasDims, blockDeltaDims, sameSize, tileDims } from '../op-shapes.js';
import * as ops from './ops.js';
import { type AttentionOptions, IGNORE_INDEX } from '../model/ops.js';
import type { AdamWStep, TrainBackend } from '../train/ops.js';
import { type GenerateBackend, attentionDecodeDims } from '../generate/ops.js';
import * as generateOps from './generate-ops.js';
import * as trainOps from './train-ops.js';
import { attentionDims, crossEntropyDims, embeddingDims, rmsNormDims, ropeDims } from '../model/op-shapes.js';

class ReferenceTensor implements Tensor {
  readonly size: number;
  data: Float32Array | null;
  constructor(readonly shape: readonly number[], readonly label: string) {
    this.size = sizeOf(shape);
    this.data = new Float32Array(this.size);
  }
}

function data(t: Tensor): Float32Array {
  const d = (t as ReferenceTensor).data;
  if (!(t instanceof ReferenceTensor)) throw new Error(`[reference] ${t.label} belongs to another backend`);
  if (!d) throw new Error(`[reference] ${t.label} was disposed`);
  return d;
}

export class ReferenceBackend implements TrainBackend, GenerateBackend {
  readonly name = 'reference' as const;
  readonly info: BackendInfo = { name: 'reference', device: 'plain TypeScript (test oracle)', details: {} };

  tensor(shape: readonly number[], init?: Float32Array, label = 'tensor'): Tensor {
    const t = new ReferenceTensor([...shape], label);
    if (init) this.write(t, init);
    return t;
  }
  async read(t: Tensor): Promise<Float32Array> {
    return data(t).slice();
  }
  write(t: Tensor, src: Float32Array): void {
    if (src.length !== t.size) throw new Error(`[write] ${t.label} holds ${t.size} values, got ${src.length}`);
    data(t).set(src);
  }
  copy(src: Tensor, dst: Tensor): void {
    sameSize('copy', src, dst);
    data(dst).set(data(src));
  }
  dispose(t: Tensor): void {
    (t as ReferenceTensor).data = null;
  }
  async sync(): Promise<void> {}
  destroy(): void {}

  matmul(a: Tensor, b: Tensor, c: Tensor, o: MatmulOptions = {}): void {
    const d = matmulDims(a, b, c, o);
    ops.matmul(data(a), data(b), data(c), d.batch, d.m, d.n, d.k, !!o.transA, !!o.transB, o.alpha ?? 1, !!o.accumulate);
  }
  addBias(y: Tensor, bias: Tensor): void {
    biasDims(y, bias);
    ops.addBias(data(y), data(bias));
  }
  chunkSum(x: Tensor, s: Tensor): void {
    const d = tileDims('chunkSum', x, s, false);
    ops.chunkSum(data(x), data(s), d.n, d.wide, d.r);
  }
  chunkScatterAdd(ds: Tensor, dx: Tensor): void {
    const d = tileDims('chunkScatterAdd', dx, ds, false);
    ops.chunkScatterAdd(data(ds), data(dx), d.n, d.wide, d.r);
  }
  tileAdd(p: Tensor, y: Tensor): void {
    const d = tileDims('tileAdd', y, p, true);
    ops.tileAdd(data(p), data(y), d.n, d.wide, d.r);
  }
  foldSum(g: Tensor, folded: Tensor): void {
    const d = tileDims('foldSum', g, folded, true);
    ops.foldSum(data(g), data(folded), d.n, d.wide, d.r);
  }
  blockDelta(b: Tensor, w: Tensor, sign: 1 | -1): void {
    const d = blockDeltaDims(b, w);
    ops.blockDelta(data(b), data(w), d.out, d.inF, d.r, d.m, sign);
  }
  blockAffine(w: Tensor, m: Tensor, c: Tensor, dst: Tensor): void {
    const d = batDims('blockAffine', w, m, c);
    sameSize('blockAffine', w, dst);
    ops.blockAffine(data(w), data(m), data(c), data(dst), d.out, d.inF, d.r);
  }
  batGrad(w: Tensor, g: Tensor, x: Tensor, db: Tensor): void {
    const d = batGradDims(w, g, x, db);
    ops.batGrad(data(w), data(g), data(x), data(db), d.n, d.out, d.inF, d.r);
  }

  // ---- transformer ops (ModelBackend) ----------------------------------------------------------------
  embedding(ids: Int32Array, table: Tensor, out: Tensor): void {
    const d = embeddingDims(ids, table, out);
    ops.embedding(ids, data(table), data(out), d.width);
  }
  rmsNorm(x: Tensor, w: Tensor, eps: number, y: Tensor, rstd: Tensor): void {
    const d = rmsNormDims('rmsNorm', x, w, rstd, y);
    ops.rmsNorm(data(x), data(w), eps, data(y), data(rstd), d.n, d.width);
  }
  rmsNormBackward(x: Tensor, w: Tensor, rstd: Tensor, dy: Tensor, dx: Tensor): void {
    const d = rmsNormDims('rmsNormBackward', x, w, rstd, dy, dx);
    ops.rmsNormBackward(data(x), data(w), data(rstd), data(dy), data(dx), d.n, d.width);
  }
  rope(x: Tensor, positions: Int32Array, invFreq: Float32Array): void {
    const d = ropeDims('rope', x, positions, invFreq);
    ops.rope(data(x), positions, invFreq, d.n, d.heads, 1);
  }
  ropeBackward(dx: Tensor, positions: Int32Array, invFreq: Float32Array): void {
    const d = ropeDims('ropeBackward', dx, positions, invFreq);
    ops.rope(data(dx), positions, invFreq, d.n, d.heads, -1);
  }
  attention(q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void {
    const d = attentionDims('attention', q, k, v, out, lse, o);
    ops.attention(data(q), data(k), data(v), data(out), data(lse), d);
  }
  attentionBackward(
    q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, dout: Tensor, dq: Tensor, dk: Tensor, dv: Tensor, o: AttentionOptions,
  ): void {
    const d = attentionDims('attentionBackward', q, k, v, out, lse, o, [dq, dk, dv, dout]);
    ops.attentionBackward(data(q), data(k), data(v), data(out), data(lse), data(dout), data(dq), data(dk), data(dv), d);
  }
  swiglu(gate: Tensor, up: Tensor, out: Tensor): void {
    sameSize('swiglu', gate, up);
    sameSize('swiglu', gate, out);
    ops.swiglu(data(gate), data(up), data(out));
  }
  swigluBackward(gate: Tensor, up: Tensor, dout: Tensor, dgate: Tensor, dup: Tensor): void {
    for (const t of [up, dout, dgate, dup]) sameSize('swigluBackward', gate, t);
    ops.swigluBackward(data(gate), data(up), data(dout), data(dgate), data(dup));
  }
  add(a: Tensor, y: Tensor): void {
    sameSize('add', a, y);
    ops.add(data(a), data(y));
  }
  crossEntropy(logits: Tensor, targets: Int32Array, loss: Tensor, dlogits: Tensor | null): void {
    const d = crossEntropyDims(logits, targets, loss, dlogits);
    data(loss)[0] = ops.crossEntropy(data(logits), targets, dlogits && data(dlogits), d.n, d.vocab, d.count, IGNORE_INDEX);
  }
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: AdamWStep): void {
    for (const t of [grad, m, v]) sameSize('adamw', param, t);
    trainOps.adamw(data(param), data(grad), data(m), data(v), step);
  }
  sumSquares(t: Tensor, out: Tensor, accumulate: boolean): void {
    if (out.size !== 1) throw new Error(`[sumSquares] ${out.label} must hold one value, has ${out.size}`);
    trainOps.sumSquares(data(t), data(out), accumulate);
  }
  attentionDecode(q: Tensor, kNew: Tensor, vNew: Tensor, kCache: Tensor, vCache: Tensor, past: number, out: Tensor, options: AttentionOptions): void {
    const d = attentionDecodeDims(q, kNew, vNew, kCache, vCache, past, out, options);
    generateOps.attentionDecode(data(q), data(kNew), data(vNew), data(kCache), data(vCache), data(out), d);
  }
  dropout(x: Tensor, out: Tensor, p: number, seed: number): void {
    sameSize('dropout', x, out);
    trainOps.dropout(data(x), data(out), p, seed);
  }
}
