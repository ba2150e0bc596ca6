// Half-precision (IEEE float16) storage for frozen weights (runtime/backend.ts `weight`): 2 bytes per element in
// linear memory, widened to f32 where a kernel reads it (matmul.ts packing, embedding.ts rows), so every sum is
// accumulated in f32 exactly as with float32 weights. Narrowing rounds to nearest even.
// It deliberately does not handle NaN or infinity: weights are checked finite at load (runtime/model/checkpoint.ts)
// and `narrow` reports every value outside float16's range, so the TypeScript edge keeps such a tensor float32.
// The conversions are F. Giesen's (half_to_float via the 2^112 multiply, float_to_half_fast3_rtne).

// f32 with the f16 exponent and mantissa in place, times 2^112, is the f16's value (subnormals included).
const REBIAS = f32x4.splat(5.192296858534828e33);

/** The f16 values in the low four u16 lanes of `v`, as f32x4. */
@inline export function widenLow(v: v128): v128 {
  const h = i32x4.extend_low_i16x8_u(v);
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const magnitude = f32x4.mul(i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13), REBIAS);
  return v128.or(magnitude, sign);
}

/** Four f16 at `p` (8 bytes) as f32x4. */
@inline export function load4(p: usize): v128 {
  return widenLow(v128.load64_zero(p));
}

/** One f16 at `p` as f32. */
@inline export function load1(p: usize): f32 {
  const h = <u32>load<u16>(p);
  const magnitude = reinterpret<f32>((h & 0x7fff) << 13) * <f32>5.192296858534828e33;
  return reinterpret<f32>(reinterpret<u32>(magnitude) | ((h & 0x8000) << 16));
}

/** x rounded to the nearest f16 (ties to even); |x| >= 65520 gives infinity (see `narrow`). */
@inline export function toHalf(x: f32): u16 {
  const bits = reinterpret<u32>(x);
  const sign = (bits >> 16) & 0x8000;
  let abs = bits & 0x7fffffff;
  let h: u32;
  if (abs >= 0x477ff000) {
    h = 0x7c00;
  } else if (abs < 0x38800000) {
    // Below f16's smallest normal: adding 0.5 lets the f32 adder round the subnormal mantissa to nearest even.
    h = reinterpret<u32>(reinterpret<f32>(abs) + <f32>0.5) - 0x3f000000;
  } else {
    const odd = (abs >> 13) & 1;
    abs += 0xc8000fff; // rebias the exponent (15 - 127) << 23, plus the rounding bias 0xfff
    h = (abs + odd) >> 13;
  }
  return <u16>(h | sign);
}

/** dst[i] = src[i] widened.  src [P] f16, dst [P] f32. */
export function widen(src: usize, dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), load4(src + (<usize>i << 1)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load1(src + (<usize>i << 1)));
}

/** dst[i] = src[i] rounded to f16.  src [P] f32, dst [P] f16. Returns how many values overflowed float16's
 *  range (stored as infinity): the caller keeps such a tensor float32. */
export function narrow(src: usize, dst: usize, count: i32): i32 {
  let overflow = 0;
  for (let i = 0; i < count; i++) {
    const h = toHalf(load<f32>(src + (<usize>i << 2)));
    if ((h & 0x7fff) == 0x7c00) overflow++;
    store<u16>(dst + (<usize>i << 1), h);
  }
  return overflow;
}

/** In place: `count` bfloat16 values at `p` become f16 (rounded to nearest even). Returns how many overflowed
 *  float16's range, as `narrow` does. A bfloat16 is the top half of an f32, so it widens exactly. */
export function bf16ToHalf(p: usize, count: i32): i32 {
  let overflow = 0;
  for (let i = 0; i < count; i++) {
    const at = p + (<usize>i << 1);
    const h = toHalf(reinterpret<f32>(<u32>load<u16>(at) << 16));
    if ((h & 0x7fff) == 0x7c00) overflow++;
    store<u16>(at, h);
  }
  return overflow;
}
