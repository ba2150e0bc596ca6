// Plain reference of attention over a key/value cache (runtime/generate/ops.ts).
import type { attentionDecodeDims } from '../generate/ops.js';

type Dims = ReturnType<typeof attentionDecodeDims>;

export function attentionDecode(
  q: Float32Array, kNew: Float32Array, vNew: Float32Array, kCache: Float32Array, vCache: Float32Array, out: Float32Array, d: Dims,
): void {
  const { batch, tq, heads, kvHeads, headDim: e, capacity, past, window } = d;
  const row = kvHeads * e, group = heads / kvHeads, scale = 1 / Math.sqrt(e);
  for (let b = 0; b < batch; b++) {
    kCache.set(kNew.subarray(b * tq * row, (b + 1) * tq * row), (b * capacity + past) * row);
    vCache.set(vNew.subarray(b * tq * row, (b + 1) * tq * row), (b * capacity + past) * row);
  }
  const scores = new Float64Array(past + tq), acc = new Float64Array(e);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < tq; t++) {
      const pos = past + t;
      const first = window === null ? 0 : Math.max(0, pos - window + 1);
      for (let h = 0; h < heads; h++) {
        const g = Math.floor(h / group), qo = ((b * tq + t) * heads + h) * e;
        let max = -Infinity;
        for (let s = first; s <= pos; s++) {
          const ko = (b * capacity + s) * row + g * e;
          let dot = 0;
          for (let i = 0; i < e; i++) dot += q[qo + i] * kCache[ko + i];
          scores[s] = dot * scale;
          max = Math.max(max, scores[s]);
        }
        let sum = 0;
        acc.fill(0);
        for (let s = first; s <= pos; s++) {
          const p = Math.exp(scores[s] - max);
          sum += p;
          const vo = (b * capacity + s) * row + g * e;
          for (let i = 0; i < e; i++) acc[i] += p * vCache[vo + i];
        }
        for (let i = 0; i < e; i++) out[qo + i] = acc[i] / sum;
      }
    }
  }
}
