// Every tolerance the tests use, in one place, with the reason for its size.

/** float32 kernels against float64-derived PEFT fixtures and the float64-accumulating reference:
 *  relative error measured as max|a - b| / max(max|b|, tiny). */
export const F32_REL = 1e-5;

/** Whole-model logits, loss and gradients (fixtures README: about 1e-4 for the stacked layers). */
export const MODEL_REL = 1e-4;

/** Finite-difference checks: central differences with step 1e-2 on a float32 forward pass; the
 *  differences are exact in exact arithmetic (every output is affine in any single parameter entry), so what remains is
 *  float32 rounding of L divided by the step: about 1e-7 * |L| / 1e-2 relative to the gradient. */
export const FD_REL = 1e-3;
