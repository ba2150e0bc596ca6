// Bone (PEFT MiSS, init_weights=true) and mini (init_weights="mini") as additive adapters.
// Forward: S = fold(x) [N,R] (zero-padded); Bone y += S B with B [R,O]; mini y += tile(S B) with B [R,M].
// Backward (docs/blocks.md): dB = S^T G (mini: G folded modulo M first), dS = G B^T, dx += tile(dS).
// Only S is kept for backward, never x and never the [O,I] weight change. With dropout (training), x is
// replaced by dropout(x) before the chunk sum, and the input gradient goes back through the same mask.
import type { Backend, Tensor } from '../backend.js';
import { type AdditiveAdapter, InputDropout, allocateParams, rowsOf } from './adapter.js';
import type { BoneConfig, MiniConfig } from './config.js';

export function createBone(backend: Backend, config: BoneConfig | MiniConfig, out: number, label: string): AdditiveAdapter {
  const r = config.r;
  const m = config.variant === 'mini' ? config.miniR : out;
  const tiled = config.variant === 'mini';
  const { params, grads } = allocateParams(backend, { block: [r, m] }, label);
  const block = params.block;
  const drop = new InputDropout(backend, config.dropout ?? 0, config.variant);

  return {
    config, params, grads, needsInput: false,
    forward(x: Tensor, y: Tensor, seed: number | null): Tensor[] {
      const n = rowsOf(x);
      const s = backend.tensor([n, r], undefined, `${label}.S`); // [N,R]
      if (drop.active(seed)) {
        const xd = drop.apply(x, seed);
        backend.fold(xd, s, true);
        backend.dispose(xd);
      } else {
        backend.fold(x, s, true);
      }
      if (!tiled) {
        backend.matmul(s, block, y, { accumulate: true }); // y [N,O] += S [N,R] B [R,O]
      } else {
        const p = backend.tensor([n, m], undefined, `${label}.P`); // [N,M]
        backend.matmul(s, block, p);
        backend.tile(p, y);
        backend.dispose(p);
      }
      return [s];
    },
    backward([s]: Tensor[], x: Tensor, g: Tensor, dx: Tensor | null, seed: number | null): void {
      const n = rowsOf(g);
      let gm = g; // [N,M]: G itself for Bone, G folded modulo M for mini
      if (tiled) {
        gm = backend.tensor([n, m], undefined, `${label}.Gfold`);
        backend.fold(g, gm);
      }
      backend.matmul(s, gm, grads.block, { transA: true }); // dB [R,M] = S^T G
      if (dx) {
        const ds = backend.tensor([n, r], undefined, `${label}.dS`);
        backend.matmul(gm, block, ds, { transB: true }); // dS [N,R] = G B^T
        if (drop.active(seed)) {
          const tiledDs = backend.tensor(x.shape, undefined, `${label}.dxd`); // [N,I]
          backend.tile(ds, tiledDs, true);
          drop.backwardInto(tiledDs, dx, seed);
        } else {
          backend.tile(ds, dx, true);
        }
        backend.dispose(ds);
      }
      if (gm !== g) backend.dispose(gm);
    },
    merge(w: Tensor, sign: 1 | -1): void {
      backend.blockDelta(block, w, sign); // w[o,c] += sign B[c mod R, o mod M]
    },
    savedFloats: (n: number) => n * r,
  };
}
