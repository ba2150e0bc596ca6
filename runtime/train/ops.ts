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
  /** Inverted dropout with a counter-based mask, the same on every backend for the same seed:
   *  out[i] = keep(seed, i) ? x[i] / (1 - p) : 0, keep as in `dropoutKeeps`. x, out [P] (may alias).
   *  Calling it again with the same seed on a gradient applies the same mask (its backward). */
  dropout(x: Tensor, out: Tensor, p: number, seed: number): void;
}

/** The dropout mask bit for element i: a 32-bit integer hash of (seed, i) compared with p * 2^32.
 *  Every backend computes exactly this (u32 arithmetic, wrapping multiplies):
 *    h = i * 0x9E3779B1 + seed * 0x85EBCA77; h ^= h >> 16; h *= 0x7FEB352D; h ^= h >> 15;
 *    h *= 0x846CA68B; h ^= h >> 16; keep = h >= threshold, threshold = min(floor(p * 2^32), 2^32 - 1). */
export function dropoutKeeps(i: number, seed: number, threshold: number): boolean {
  let h = (Math.imul(i, 0x9e3779b1) + Math.imul(seed, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0 >= threshold;
}

/** The u32 threshold of dropoutKeeps for probability p. */
export function dropoutThreshold(p: number): number {
  if (!(p >= 0 && p < 1)) throw new Error(`[dropout] p=${p} must be in [0, 1)`);
  return Math.min(Math.floor(p * 4294967296), 4294967295);
}
