// Every tolerance the tests use, in one place, with the reason for its size.
// F32_REL and MODEL_REL are the project's promised accuracy (runtime/tolerances.ts, also used by doctor).
export { F32_REL, MODEL_REL } from '../runtime/tolerances.js';

/** Finite-difference checks: central differences with step 1e-2 on a float32 forward pass; the
 *  differences are exact in exact arithmetic (every output is affine in any single parameter entry), so what
 *  remains is float32 rounding of L divided by the step: about 1e-7 * |L| / 1e-2 relative to the gradient. */
export const FD_REL = 1e-3;
