// Training ops (runtime/backend.ts adamw, sumSquares; reference runtime/reference/train-ops.ts).
// AdamW runs in float32 lanes with its scalar coefficients (1 - beta, bias corrections, decay factor) formed in
// float64 at the TypeScript edge (1 - beta2 rounded from a float32 beta2 = 0.999 would be off by 1.3e-5); the squared norm accumulates in float64 lanes, since it sums millions of terms.
// No bounds checks (TypeScript edge). Letters: P parameters of one tensor.

/** PyTorch's AdamW step on p [P] with gradient g, moments m, v (all [P], updated in place):
 *  grad = scale g; p *= decay; m = b1 m + a1 grad; v = b2 v + a2 grad^2; p -= lr (m / c1) / (sqrt(v / c2) + eps),
 *  with a1 = 1 - b1, a2 = 1 - b2, decay = 1 - lr weightDecay and c1, c2 the bias corrections. */
export function adamw(
  p: usize, g: usize, m: usize, v: usize, count: i32,
  lr: f32, b1: f32, a1: f32, b2: f32, a2: f32, eps: f32, decay: f32, scale: f32, c1: f32, c2: f32,
): void {
  const vb1 = f32x4.splat(b1), va1 = f32x4.splat(a1), vb2 = f32x4.splat(b2), va2 = f32x4.splat(a2);
  const vlr = f32x4.splat(lr), veps = f32x4.splat(eps), vdecay = f32x4.splat(decay), vscale = f32x4.splat(scale);
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const at = <usize>i << 2;
    const grad = f32x4.mul(vscale, v128.load(g + at));
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + at)), f32x4.mul(va1, grad));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + at)), f32x4.mul(va2, f32x4.mul(grad, grad)));
    const step = f32x4.div(f32x4.mul(vlr, f32x4.div(mi, vc1)), f32x4.add(f32x4.sqrt(f32x4.div(vi, vc2)), veps));
    v128.store(m + at, mi);
    v128.store(v + at, vi);
    v128.store(p + at, f32x4.sub(f32x4.mul(v128.load(p + at), vdecay), step));
  }
  for (; i < count; i++) {
    const at = <usize>i << 2;
    const grad = scale * load<f32>(g + at);
    const mi = b1 * load<f32>(m + at) + a1 * grad;
    const vi = b2 * load<f32>(v + at) + a2 * grad * grad;
    store<f32>(m + at, mi);
    store<f32>(v + at, vi);
    store<f32>(p + at, load<f32>(p + at) * decay - (lr * (mi / c1)) / (Mathf.sqrt(vi / c2) + eps));
  }
}

/** out[0] = sum_i t[i]^2 (+ out[0] when `accumulate`).  t [P], out [1]. */
export function sumSquares(t: usize, out: usize, count: i32, accumulate: bool): void {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const x = v128.load(t + (<usize>i << 2));
    const sq = f32x4.mul(x, x);
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(sq));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(sq, sq, 2, 3, 0, 1)));
  }
  let sum = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
  for (; i < count; i++) {
    const x = <f64>load<f32>(t + (<usize>i << 2));
    sum += x * x;
  }
  if (accumulate) sum += <f64>load<f32>(out);
  store<f32>(out, <f32>sum);
}
