// Bat (PEFT MiSS init_weights="bat"): the weight is transformed block by block,
// W'_ik = W_ik (I + B_i) + B_i with B [O/R, R, R] indexed by the output block i. Several Bat adapters
// compose in order (W_j = Bat(W_{j-1}, B_j)) and unmerge last-in-first-out.
// Backward (docs/blocks.md): with T_ik = G_i^T x_k, dB_j,i = sum_k (W_{j-1,ik} + I)^T T_ik Q_j,i where
// Q_j = (I + B_m)^T ... (I + B_{j+1})^T carries the gradient back through the later adapters;
// the backend's batGrad forms the sum without ever holding the [O,I] product G^T x.
import type { Backend, Tensor } from '../backend.js';
import { blockPlan } from '../blocks.js';
import { type AdapterParams } from './adapter.js';
import { MAX_CONDITION, invert, norm1 } from './inverse.js';

/** Weights W_0 = w, W_1, ..., W_m after each block in order. Every tensor but W_0 is new (caller disposes). */
export function batChain(backend: Backend, w: Tensor, blocks: Tensor[]): Tensor[] {
  const chain = [w];
  for (const b of blocks) {
    const next = backend.tensor(w.shape, undefined, `${b.label}.W'`);
    backend.blockAffine(chain[chain.length - 1], b, b, next);
    chain.push(next);
  }
  return chain;
}

/** Gradients of every block (written into `adapters[j].grads.block`) and dx [N,I] += G W_m. */
export function batBackward(backend: Backend, w: Tensor, adapters: AdapterParams[], x: Tensor, g: Tensor, dx: Tensor | null): void {
  const blocks = adapters.map((a) => a.params.block);
  const chain = batChain(backend, w, blocks);
  const batch = blocks[0]?.shape[0];
  for (let j = 0; j < adapters.length; j++) {
    const grad = adapters[j].grads.block; // [O/R,R,R]
    backend.batGrad(chain[j], g, x, grad);
    for (let l = adapters.length - 1; l > j; l--) {
      // grad <- grad (I + B_l)^T = grad + grad B_l^T, block by block
      const next = backend.tensor(grad.shape, undefined, `${grad.label}.carry`);
      backend.copy(grad, next);
      backend.matmul(grad, blocks[l], next, { transB: true, accumulate: true, batch });
      backend.copy(next, grad);
      backend.dispose(next);
    }
  }
  if (dx) backend.matmul(g, chain[chain.length - 1], dx, { accumulate: true }); // dx += G W'
  for (const t of chain.slice(1)) backend.dispose(t);
}

/** w <- Bat(w, block), in place. */
export function batMerge(backend: Backend, w: Tensor, block: Tensor): void {
  const [merged] = batChain(backend, w, [block]).slice(1);
  backend.copy(merged, w);
  backend.dispose(merged);
}

/** The tensors that undo one Bat merge: w <- (w - B_i)(I + B_i)^-1 = w (I + m_i) + c_i with
 *  m_i = (I + B_i)^-1 - I and c_i = -B_i (I + B_i)^-1, the inverse taken in float64. Throws naming the
 *  block when I + B_i is singular or too ill-conditioned for a float32 weight to survive the round trip. */
export async function batUnmergeFactors(backend: Backend, block: Tensor, layer: string): Promise<{ m: Float32Array; c: Float32Array }> {
  const [count, r] = block.shape;
  const b = await backend.read(block);
  const m = new Float32Array(b.length);
  const c = new Float32Array(b.length);
  const a = new Float64Array(r * r);
  const plan = blockPlan();
  for (let i = 0; i < count; i++) {
    const square = plan.batSquare(i, r);
    a.set(b.subarray(square, square + r * r));
    for (let j = 0; j < r; j++) a[plan.batDiagonal(j, r)] += 1; // I + B_i
    const inv = invert(a, r);
    const cond = inv ? norm1(a, r) * norm1(inv, r) : Infinity;
    if (!inv || !(cond <= MAX_CONDITION)) {
      throw new Error(`[bat] cannot unmerge ${layer}: I + B_${i} (block ${i}, rows ${plan.chunkStart(i, r)}..${plan.chunkStart(i + 1, r) - 1}) is ` +
        `${inv ? `ill-conditioned (condition number ${cond.toExponential(2)} > ${MAX_CONDITION})` : 'singular'}; ` +
        'the weight is left merged and unchanged (reload the base weights to remove this adapter)');
    }
    for (let p = 0; p < r; p++) {
      for (let q = 0; q < r; q++) {
        let bInv = 0;
        for (let t = 0; t < r; t++) bInv += b[square + p * r + t] * inv[t * r + q];
        m[square + p * r + q] = inv[p * r + q] - (p === q ? 1 : 0);
        c[square + p * r + q] = -bInv;
      }
    }
  }
  return { m, c };
}

/** w <- w (I + m_i) + c_i with factors from batUnmergeFactors, in place. */
export function batApplyFactors(backend: Backend, w: Tensor, block: Tensor, f: { m: Float32Array; c: Float32Array }): void {
  const m = backend.tensor(block.shape, f.m, `${block.label}.unmerge.m`);
  const c = backend.tensor(block.shape, f.c, `${block.label}.unmerge.c`);
  const out = backend.tensor(w.shape, undefined, `${w.label}.unmerged`);
  backend.blockAffine(w, m, c, out);
  backend.copy(out, w);
  for (const t of [m, c, out]) backend.dispose(t);
}
