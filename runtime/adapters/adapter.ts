// What one adapter on one linear layer provides to AdaptedLinear (runtime/adapters/linear.ts).
// Additive adapters (Bone, mini, LoRA) add a term to the base output; Bat instead transforms the weight
// and is handled by runtime/adapters/bat.ts. Letters: see runtime/backend.ts.
import type { Backend, Tensor } from '../backend.js';
import type { AdapterConfig } from './config.js';

export interface AdapterParams {
  /** Trainable tensors by PEFT's name for them (`block` for MiSS, `A`/`B` for LoRA). */
  readonly params: Record<string, Tensor>;
  /** Gradients, same names and shapes; written by every backward pass. */
  readonly grads: Record<string, Tensor>;
}

export interface AdditiveAdapter extends AdapterParams {
  readonly config: AdapterConfig;
  /** y [N,O] += the adapter's term for x [N,I]; returns what backward needs (owned by the caller). */
  forward(x: Tensor, y: Tensor): Tensor[];
  /** From g = dL/dy [N,O]: write the parameter gradients and add the input gradient into dx [N,I]
   *  (dx may be null when the input gradient is not wanted). */
  backward(saved: Tensor[], x: Tensor, g: Tensor, dx: Tensor | null): void;
  /** w [O,I] += sign * the adapter's weight change. */
  merge(w: Tensor, sign: 1 | -1): void;
  /** Floats kept from forward to backward for N tokens (for memory accounting). */
  savedFloats(n: number): number;
  /** Whether backward reads the layer input x (so the caller must keep it). */
  readonly needsInput: boolean;
}

/** Allocate zero-initialised parameter and gradient tensors of the given shapes on the backend. */
export function allocateParams(backend: Backend, shapes: Record<string, number[]>, label: string): AdapterParams {
  const params: Record<string, Tensor> = {};
  const grads: Record<string, Tensor> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    params[name] = backend.tensor(shape, undefined, `${label}.${name}`);
    grads[name] = backend.tensor(shape, undefined, `${label}.${name}.grad`);
  }
  return { params, grads };
}

/** Rows of a 2-D-or-more tensor (N for [.., I] activations). */
export function rowsOf(t: Tensor): number {
  return t.size / t.shape[t.shape.length - 1];
}
