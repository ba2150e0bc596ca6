// Inverting I + B_i for Bat's unmerge, in float64 (the stored weights are float32, so float64 keeps the
// inverse's own error far below theirs). A block that is singular or whose condition number makes the
// float32 round trip meaningless is reported by index instead of being inverted.

/** Largest 1-norm condition number accepted: beyond it a float32 unmerge loses more than ~1e-3 relative. */
export const MAX_CONDITION = 1e4;

/** Gauss-Jordan inverse with partial pivoting of the n x n row-major matrix `a`; null if singular. */
export function invert(a: Float64Array, n: number): Float64Array | null {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(m[row * n + col]) > Math.abs(m[pivot * n + col])) pivot = row;
    const p = m[pivot * n + col];
    if (p === 0 || !Number.isFinite(p)) return null;
    if (pivot !== col) {
      for (let j = 0; j < n; j++) {
        [m[col * n + j], m[pivot * n + j]] = [m[pivot * n + j], m[col * n + j]];
        [inv[col * n + j], inv[pivot * n + j]] = [inv[pivot * n + j], inv[col * n + j]];
      }
    }
    for (let j = 0; j < n; j++) { m[col * n + j] /= p; inv[col * n + j] /= p; }
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const f = m[row * n + col];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) { m[row * n + j] -= f * m[col * n + j]; inv[row * n + j] -= f * inv[col * n + j]; }
    }
  }
  return inv;
}

/** 1-norm (largest absolute column sum). */
export function norm1(a: Float64Array, n: number): number {
  let best = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j]);
    best = Math.max(best, s);
  }
  return best;
}
