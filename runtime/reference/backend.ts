// The reference backend: every op from runtime/reference/ops.ts behind the Backend interface.
// Slow and obvious on purpose; tests compare the wasm and webgpu backends against it.
import { type Backend, type BackendInfo, type MatmulOptions, type Tensor, matmulDims, sizeOf } from '../backend.js';
import { batDims, biasDims, blockDeltaDims, sameSize, tileDims } from '../op-shapes.js';
import * as ops from './ops.js';

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

export class ReferenceBackend implements Backend {
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
    const d = batDims('batGrad', w, db);
    const n = g.size / d.out;
    if (x.size !== n * d.inF) throw new Error(`[batGrad] x [${x.shape}] does not match g [${g.shape}] and w [${w.shape}]`);
    ops.batGrad(data(w), data(g), data(x), data(db), n, d.out, d.inF, d.r);
  }
}
