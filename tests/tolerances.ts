// Every tolerance the tests use, in one place, with the reason for its size.

/** float32 kernels against float64-derived PEFT fixtures and the float64-accumulating reference:
 *  relative error measured as max|a - b| / max(max|b|, tiny). */
export const F32_REL = 1e-5;

/** Whole-model logits, loss and gradients (fixtures README: about 1e-4 for the stacked layers). */
export const MODEL_REL = 1e-4;

/** Finite-difference gradient checks in float64 against the analytic gradient (central differences,
 *  step 1e-3 in float64 on the reference ops' formulas): truncation error O(h^2) relative. */
export const FD_REL = 1e-4;
