// The ops training needs on top of the model's: the AdamW update and a squared norm for gradient clipping.
// Letters: see runtime/backend.ts. P = parameter count of one tensor.
import type { Tensor } from '../backend.js';
import type { ModelBackend } from '../model/ops.js';

export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step number, for the bias corrections 1 - beta^step. */
  step: number;
  /** Multiplies the gradient first: 1/accumulation steps, times the clipping factor. */
  gradScale: number;
}

export interface TrainBackend extends ModelBackend {
  /** PyTorch's AdamW (decoupled weight decay, bias-corrected moments) on one tensor, in place:
   *  g = gradScale * grad; p -= lr * weightDecay * p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
   *  p -= lr * (m / (1 - b1^step)) / (sqrt(v / (1 - b2^step)) + eps).  param, grad, m, v [P]. */
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: AdamWStep): void;
  /** out[0] (+)= sum of t[i]^2.  t [P], out [1]. */
  sumSquares(t: Tensor, out: Tensor, accumulate: boolean): void;
}
