// The arithmetic ceiling of one WebAssembly thread, for the benchmark's "fraction of peak": the matmul
// kernel's own instruction mix (asm/kernels/matmul.ts `micro`: per step, two splatted A values times four
// B vectors into eight f32x4 accumulators, multiply then add) with its operands always in L1 cache, so that
// nothing but the arithmetic units limits the rate. No real matmul reaches it: packing, cache misses and
// edges all cost something.

const SPAN = 64; // steps before the operands repeat: 64 x (8 + 64) bytes, well inside L1
const A: usize = 0; // [SPAN, 2] f32
const B: usize = A + SPAN * 8; // [SPAN, 16] f32

/** Runs `steps` steps of 8 x 4 multiply-adds (64 floating-point operations) and returns a value that
 *  depends on all of them, so that none can be optimised away. */
export function microSteps(steps: i32): f32 {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  for (let s = 0; s < steps; s++) {
    const p = <usize>(s & (SPAN - 1));
    const a = A + (p << 3), b = B + (p << 6);
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    const x0 = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(x0, b0));
    c01 = f32x4.add(c01, f32x4.mul(x0, b1));
    c02 = f32x4.add(c02, f32x4.mul(x0, b2));
    c03 = f32x4.add(c03, f32x4.mul(x0, b3));
    const x1 = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(x1, b0));
    c11 = f32x4.add(c11, f32x4.mul(x1, b1));
    c12 = f32x4.add(c12, f32x4.mul(x1, b2));
    c13 = f32x4.add(c13, f32x4.mul(x1, b3));
  }
  const t = f32x4.add(f32x4.add(f32x4.add(c00, c01), f32x4.add(c02, c03)), f32x4.add(f32x4.add(c10, c11), f32x4.add(c12, c13)));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
}
