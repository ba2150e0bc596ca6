// exp on f32x4 for the softmax-shaped kernels (attention, cross-entropy, swiglu's sigmoid): Cody-Waite range
// reduction x = k ln2 + r with |r| <= ln2 / 2, exp(r) by its degree-7 Taylor polynomial (truncation error
// r^8 / 8! < 5e-9, under float32 rounding), then 2^k built in the exponent bits. Inputs below about -87.3
// (where 2^k would leave the normal range) give exactly 0, so a row's masked or far-below-max entries vanish as
// they do in float64; inputs above 88.7 saturate at 2^128-ish (callers subtract a row maximum first).
// Deliberately no NaN handling beyond what the arithmetic propagates.

const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693359375; // ln 2 split so that k * LN2_HI is exact for |k| < 2^10
const LN2_LO: f32 = -2.12194440e-4;
const LOWEST: f32 = -87.33;
const HIGHEST: f32 = 88.7;

/** exp of each lane. */
// @ts-ignore: decorator
@inline export function expv(x: v128): v128 {
  const clamped = f32x4.min(f32x4.max(x, f32x4.splat(LOWEST)), f32x4.splat(HIGHEST));
  const k = f32x4.nearest(f32x4.mul(clamped, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(clamped, f32x4.mul(k, f32x4.splat(LN2_HI))), f32x4.mul(k, f32x4.splat(LN2_LO)));
  // Horner: 1 + r (1 + r/2 (1 + r/3 (1 + r/4 (1 + r/5 (1 + r/6 (1 + r/7))))))
  let p = f32x4.add(f32x4.splat(1), f32x4.mul(r, f32x4.splat(<f32>(1.0 / 7))));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.mul(r, f32x4.splat(<f32>(1.0 / 6))), p));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.mul(r, f32x4.splat(<f32>(1.0 / 5))), p));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.mul(r, f32x4.splat(<f32>(1.0 / 4))), p));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.mul(r, f32x4.splat(<f32>(1.0 / 3))), p));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.mul(r, f32x4.splat(<f32>(0.5))), p));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(r, p));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  const y = f32x4.mul(p, scale);
  return v128.andnot(y, f32x4.lt(x, f32x4.splat(LOWEST)));
}

/** exp of one value, by the same arithmetic as `expv` (so scalar tails agree with vector bodies). */
// @ts-ignore: decorator
@inline export function exps(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}
