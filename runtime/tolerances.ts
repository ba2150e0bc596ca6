// The accuracy the project promises, used by `osteon doctor` and the tests alike.

/** float32 adapter layers against PEFT's float64 results stored as float32: relative error measured as
 *  max|a - b| / max|b| over a tensor. */
export const F32_REL = 1e-5;

/** Whole-model logits, loss and gradients: errors of stacked float32 layers add up (fixtures README). */
export const MODEL_REL = 1e-4;
