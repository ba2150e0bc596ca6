// Plain reference of attention over a key/value cache (runtime/backend.ts attentionDecode).
import type { DecodeDims } from '../shapes.js';
import { attendRow, firstVisible } from './ops.js';

export function attentionDecode(
  q: Float32Array, kNew: Float32Array, vNew: Float32Array, kCache: Float32Array, vCache: Float32Array, out: Float32Array, d: DecodeDims,
): void {
  const { batch, tq, heads, kvHeads, headDim: e, capacity, past, window } = d;
  const row = kvHeads * e, group = heads / kvHeads;
  for (let b = 0; b < batch; b++) {
    kCache.set(kNew.subarray(b * tq * row, (b + 1) * tq * row), (b * capacity + past) * row);
    vCache.set(vNew.subarray(b * tq * row, (b + 1) * tq * row), (b * capacity + past) * row);
  }
  const scores = new Float64Array(past + tq), acc = new Float64Array(e);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < tq; t++) {
      for (let h = 0; h < heads; h++) {
        const g = Math.floor(h / group);
        const keyAt = (s: number) => (b * capacity + s) * row + g * e;
        attendRow(q, ((b * tq + t) * heads + h) * e, kCache, vCache, keyAt, firstVisible(past + t, window), past + t, e, out, scores, acc);
      }
    }
  }
}
