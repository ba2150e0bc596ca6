// The arithmetic ceiling of one WebAssembly thread, for the benchmark's "fraction of peak": the matmul
// kernel's own micro-kernel (asm/kernels/matmul.ts `micro`: per step, two splatted A values times four B
// vectors into eight f32x4 accumulators) run over panels that always sit in L1 cache, so that nothing but
// the arithmetic limits the rate. No whole matmul reaches it: packing, cache misses and edges all cost.
import { micro } from '../kernels/matmul';

const KC = 64; // steps per call: panels of 64 x 2 and 64 x 16 floats (4.5 KiB), well inside L1
const A = memory.data(KC * 2 * 4, 16); // [KC, 2] f32
const B = memory.data(KC * 16 * 4, 16); // [KC, 16] f32
const C = memory.data(2 * 16 * 4, 16); // [2, 16] f32, accumulated into

/** Runs `calls` micro-kernel calls of KC steps, 8 x 4 multiply-adds each (64 floating-point operations a
 *  step), and returns a value of the accumulated tile so that none can be optimised away. */
export function microCalls(calls: i32): f32 {
  for (let i = 0; i < calls; i++) micro(KC, A, B, C, 16 * 4, true);
  return load<f32>(C);
}

/** Steps of one call, for the caller's operation count. */
export const STEPS_PER_CALL = KC;
