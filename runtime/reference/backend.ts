// The reference backend: the plain ops of runtime/reference/ops.ts (and train-ops.ts, generate-ops.ts) as the
// kernels of the checked edge (runtime/checked.ts). Slow and obvious on purpose; tests compare the wasm and
// webgpu backends against it.
import { IGNORE_INDEX, type Tensor } from '../backend.js';
import { CheckedBackend, type Kernels, type OwnedTensor } from '../checked.js';
import { sizeOf } from '../shapes.js';
import * as ops from './ops.js';
import * as generateOps from './generate-ops.js';
import * as trainOps from './train-ops.js';

class ReferenceTensor implements OwnedTensor {
  readonly size: number;
  data: Float32Array | null;
  constructor(readonly shape: readonly number[], readonly label: string) {
    this.size = sizeOf(shape);
    this.data = new Float32Array(this.size);
  }
  get disposed(): boolean {
    return this.data === null;
  }
}

/** The values of a live tensor (the checked edge has made sure it is one). */
const data = (t: ReferenceTensor): Float32Array => t.data!;

const kernels: Kernels<ReferenceTensor> = {
  name: 'reference',
  info: { name: 'reference', device: 'plain TypeScript (test oracle)', details: {} },
  owns: (t: Tensor): t is ReferenceTensor => t instanceof ReferenceTensor,
  enter() {},

  create(shape, label, init) {
    const t = new ReferenceTensor(shape, label);
    if (init) t.data!.set(init);
    return t;
  },
  createWeight: () => null,
  read: async (t) => data(t).slice(),
  write: (t, src) => data(t).set(src),
  copy: (src, dst) => data(dst).set(data(src)),
  release(t) {
    t.data = null;
  },
  async sync() {},
  destroy() {},

  matmul: (a, b, c, d) => ops.matmul(data(a), data(b), data(c), d.batch, d.m, d.n, d.k, d.transA, d.transB, d.alpha, d.accumulate),
  fold: (wide, narrow, d) => ops.fold(data(wide), data(narrow), d.rows, d.wide, d.narrow),
  tile: (narrow, wide, d) => ops.tile(data(narrow), data(wide), d.rows, d.wide, d.narrow),
  blockDelta: (b, w, d, sign) => ops.blockDelta(data(b), data(w), d.out, d.inF, d.r, d.m, sign),
  blockAffine: (w, m, c, dst, d) => ops.blockAffine(data(w), data(m), data(c), data(dst), d.out, d.inF, d.r),
  batGrad: (w, g, x, db, d) => ops.batGrad(data(w), data(g), data(x), data(db), d.n, d.out, d.inF, d.r),
  embedding: (ids, table, out, d) => ops.embedding(ids, data(table), data(out), d.width),
  embeddingBackward: (ids, dout, dtable, d, accumulate) => ops.embeddingBackward(ids, data(dout), data(dtable), d.width, accumulate),
  rmsNorm: (x, w, eps, y, rstd, d) => ops.rmsNorm(data(x), data(w), eps, data(y), data(rstd), d.n, d.width),
  rmsNormBackward: (x, w, rstd, dy, dx, d) => ops.rmsNormBackward(data(x), data(w), data(rstd), data(dy), data(dx), d.n, d.width),
  rmsNormWeightGrad: (x, rstd, dy, dw, d) => ops.rmsNormWeightGrad(data(x), data(rstd), data(dy), data(dw), d.n, d.width),
  rope: (x, table, d, sign) => ops.rope(data(x), table, d.n, d.heads, d.headDim / 2, sign),
  attention: (q, k, v, out, lse, d) => ops.attention(data(q), data(k), data(v), data(out), data(lse), d),
  attentionBackward: (q, k, v, out, lse, dout, dq, dk, dv, d) =>
    ops.attentionBackward(data(q), data(k), data(v), data(out), data(lse), data(dout), data(dq), data(dk), data(dv), d),
  attentionDecode: (q, kNew, vNew, kCache, vCache, out, d) =>
    generateOps.attentionDecode(data(q), data(kNew), data(vNew), data(kCache), data(vCache), data(out), d),
  swiglu: (gate, up, out) => ops.swiglu(data(gate), data(up), data(out)),
  swigluBackward: (gate, up, dout, dgate, dup) => ops.swigluBackward(data(gate), data(up), data(dout), data(dgate), data(dup)),
  add: (a, y) => ops.add(data(a), data(y)),
  crossEntropy(logits, targets, loss, dlogits, d, into) {
    const mean = ops.crossEntropy(data(logits), targets, dlogits && data(dlogits), d.n, d.vocab, d.count, IGNORE_INDEX);
    data(loss)[0] = into.weight * mean + (into.accumulate ? data(loss)[0] : 0);
  },
  adamw: (param, grad, m, v, scale, step) => trainOps.adamw(data(param), data(grad), data(m), data(v), data(scale)[0], step),
  sumSquares: (t, out, _count, accumulate) => trainOps.sumSquares(data(t), data(out), accumulate),
  stepStats(loss, normSq, clip, stats) {
    data(stats).set(trainOps.stepStats(data(loss)[0], data(normSq)[0], clip, data(stats)[0]));
  },
  dropout: (x, out, d) => trainOps.dropout(data(x), data(out), d),
};

export class ReferenceBackend extends CheckedBackend<ReferenceTensor> {
  constructor() {
    super(kernels);
  }
}
