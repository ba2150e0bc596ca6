// Every tolerance the tests use, in one place, with the reason for its size.
// F32_REL and MODEL_REL are the project's promised accuracy (runtime/tolerances.ts, also used by doctor).
export { F32_REL, MODEL_REL } from '../runtime/tolerances.js';

/** Finite-difference checks: central differences with step 1e-2 on a float32 forward pass; the
 *  differences are exact in exact arithmetic (every output is affine in any single parameter entry), so what
 *  remains is float32 rounding of L divided by the step: about 1e-7 * |L| / 1e-2 relative to the gradient. */
export const FD_REL = 1e-3;
/** A whole model is not affine in its weights: central differences along a random direction, Richardson-
 *  extrapolated from steps 2e-2 and 1e-2, keep an O(h^4) truncation error, plus the float32 rounding of
 *  losses near 2.4 divided by 2h (about 5e-5). Directional derivatives under FULL_FD_FLOOR are compared
 *  against the floor instead of themselves, so rounding cannot dominate a tiny one. */
export const FULL_FD_REL = 1e-2;
export const FULL_FD_FLOOR = 1e-2;

/** Whole fixture models with float16 base weights (WebGPU shader-f16) against the float32 PEFT reference:
 *  every weight is rounded to float16, a relative error of up to 2^-11 (4.9e-4) each, which passes through
 *  every layer, the norms and the softmax (accumulation itself is f32). Measured on lavapipe for llama-bone
 *  and llama-bat: logits 1.3e-3, adapter gradients 2.1e-3, i.e. about 4x one weight's rounding; 1e-2 (20x)
 *  leaves a 5x margin over the worst measured result. */
export const HALF_REL = 1e-2;

/** An adapter trained for 16 steps in Chromium against the same options and seed in Node, by backend.
 *  wasm: the same WebAssembly kernels in two engines, and every reduction's order is fixed whatever the
 *  thread count, so the adapters must be bit-identical. webgpu: the same WGSL on two different software
 *  drivers (SwiftShader in Chromium, lavapipe in Node, both with float32 weights), whose exp, sqrt and
 *  fused multiply-adds round differently; the differences pass through 16 AdamW steps. Measured 6.0e-5;
 *  1e-3 leaves a 16x margin. */
export const BROWSER_TRAINED_REL = { wasm: 0, webgpu: 1e-3 };
