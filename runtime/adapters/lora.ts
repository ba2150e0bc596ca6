// LoRA, the baseline: y += s (x A^T) B^T with s = alpha / r, A [r,I], B [O,r] (PEFT's layout and init:
// A ~ U(-1/sqrt(I), 1/sqrt(I)), B = 0). Backward keeps h = x A^T [N,r] and needs x itself. With dropout
// (training), A sees dropout(x), recomputed from x and the seed in backward rather than stored.
import type { Backend, Tensor } from '../backend.js';
import { type AdditiveAdapter, InputDropout, allocateParams, rowsOf } from './adapter.js';
import type { LoraConfig } from './config.js';
import { uniform } from './random.js';

export function createLora(backend: Backend, config: LoraConfig, inF: number, out: number, label: string, seed: number): AdditiveAdapter {
  const r = config.r;
  const scale = config.alpha / r;
  const { params, grads } = allocateParams(backend, { A: [r, inF], B: [out, r] }, label);
  const bound = 1 / Math.sqrt(inF);
  backend.write(params.A, uniform(r * inF, -bound, bound, seed));
  const { A, B } = params;
  const drop = new InputDropout(backend, config.dropout ?? 0, 'lora');
  const input = (x: Tensor, dropSeed: number | null) => (drop.active(dropSeed) ? drop.apply(x, dropSeed) : x);

  return {
    config, params, grads, needsInput: true,
    forward(x: Tensor, y: Tensor, dropSeed: number | null): Tensor[] {
      const xd = input(x, dropSeed);
      const h = backend.tensor([rowsOf(x), r], undefined, `${label}.h`); // [N,r]
      backend.matmul(xd, A, h, { transB: true }); // h = x A^T
      backend.matmul(h, B, y, { transB: true, alpha: scale, accumulate: true }); // y += s h B^T
      if (xd !== x) backend.dispose(xd);
      return [h];
    },
    backward([h]: Tensor[], x: Tensor, g: Tensor, dx: Tensor | null, dropSeed: number | null): void {
      backend.matmul(g, h, grads.B, { transA: true, alpha: scale }); // dB [O,r] = s G^T h
      const dh = backend.tensor([rowsOf(g), r], undefined, `${label}.dh`);
      backend.matmul(g, B, dh, { alpha: scale }); // dh [N,r] = s G B
      const xd = input(x, dropSeed);
      backend.matmul(dh, xd, grads.A, { transA: true }); // dA [r,I] = dh^T x
      if (xd !== x) backend.dispose(xd);
      if (dx) {
        if (drop.active(dropSeed)) {
          const dxd = backend.tensor(x.shape, undefined, `${label}.dxd`);
          backend.matmul(dh, A, dxd); // dL/d(dropout(x)) = dh A
          drop.backwardInto(dxd, dx, dropSeed);
        } else {
          backend.matmul(dh, A, dx, { accumulate: true }); // dx += dh A
        }
      }
      backend.dispose(dh);
    },
    merge(w: Tensor, sign: 1 | -1): void {
      backend.matmul(B, A, w, { alpha: sign * scale, accumulate: true }); // w += sign s B A
    },
    savedFloats: (n: number) => n * r,
  };
}
