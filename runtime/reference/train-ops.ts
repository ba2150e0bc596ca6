// Plain reference of the training ops (runtime/backend.ts adamw, sumSquares, stepStats, dropout), float64
// arithmetic on float32 storage.
import { type AdamWStep, type ClipOptions, dropoutKeeps } from '../backend.js';
import type { DropoutDims } from '../shapes.js';

export function adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, scale: number, s: AdamWStep): void {
  if (!Number.isFinite(scale)) return;
  const c1 = 1 - s.beta1 ** s.step, c2 = 1 - s.beta2 ** s.step;
  for (let i = 0; i < p.length; i++) {
    const grad = scale * g[i];
    let w = p[i] * (1 - s.lr * s.weightDecay);
    m[i] = s.beta1 * m[i] + (1 - s.beta1) * grad;
    v[i] = s.beta2 * v[i] + (1 - s.beta2) * grad * grad;
    w -= (s.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + s.eps);
    p[i] = w;
  }
}

export function sumSquares(t: Float32Array, out: Float32Array, accumulate: boolean): void {
  let s = 0;
  for (let i = 0; i < t.length; i++) s += t[i] * t[i];
  out[0] = s + (accumulate ? out[0] : 0);
}

/** [scale, loss, gradNorm] as Backend.stepStats defines them; `previousScale` is stats[0] on entry. */
export function stepStats(loss: number, normSq: number, clip: ClipOptions, previousScale: number): [number, number, number] {
  const gradNorm = Math.sqrt(normSq) / clip.divisor;
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm) || !Number.isFinite(previousScale)) return [NaN, loss, gradNorm];
  const clipped = clip.maxNorm > 0 && gradNorm > clip.maxNorm ? clip.maxNorm / gradNorm : 1;
  return [clipped / clip.divisor, loss, gradNorm];
}

export function dropout(x: Float32Array, out: Float32Array, d: DropoutDims): void {
  for (let i = 0; i < x.length; i++) out[i] = dropoutKeeps(i, d.seed, d.threshold) ? x[i] * d.scale : 0;
}
