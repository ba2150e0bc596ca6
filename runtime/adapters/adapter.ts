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
  /** y [N,O] += the adapter's term for x [N,I]; returns what backward needs (owned by the caller).
   *  `dropoutSeed` (training only) draws the input dropout mask; backward gets the same seed. */
  forward(x: Tensor, y: Tensor, dropoutSeed: number | null): Tensor[];
  /** From g = dL/dy [N,O]: write the parameter gradients and add the input gradient into dx [N,I]
   *  (dx may be null when the input gradient is not wanted). */
  backward(saved: Tensor[], x: Tensor, g: Tensor, dx: Tensor | null, dropoutSeed: number | null): void;
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

/** The input dropout of an adapter: p from its config, applied only when training supplies a seed. */
export class InputDropout {
  constructor(private readonly backend: Backend, readonly p: number, private readonly label: string) {}

  active(seed: number | null): seed is number {
    return seed !== null && this.p > 0;
  }

  /** dropout(x) as a new tensor [N,I]. */
  apply(x: Tensor, seed: number): Tensor {
    const out = this.backend.tensor(x.shape, undefined, `${this.label}.dropout`);
    this.backend.dropout(x, out, this.p, seed);
    return out;
  }

  /** dx += mask * g / (1 - p): the backward of `apply` for a gradient g [N,I] (consumed). */
  backwardInto(g: Tensor, dx: Tensor, seed: number): void {
    this.backend.dropout(g, g, this.p, seed);
    this.backend.add(g, dx);
    this.backend.dispose(g);
  }
}
