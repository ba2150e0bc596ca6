// Bias add for a linear layer (runtime/backend.ts addBias). No bounds checks (TypeScript edge).
// Letters: N tokens, O out_features.
import { addRow } from './rows';

/** y[n, o] += bias[o].  y [N, O], bias [O]. */
export function addBias(y: usize, bias: usize, n: i32, out: i32): void {
  for (let t = 0; t < n; t++) addRow(y + ((<usize>t * out) << 2), bias, out);
}
