// A frozen linear layer y = x W^T + b carrying any number of named adapters, with PEFT's semantics:
// adapters can be active or not, the whole set enabled or disabled, merged into W and unmerged again.
// Bone, mini and LoRA add up (order does not matter); Bat adapters compose in order and unmerge
// last-in-first-out; Bat does not mix with the additive kinds on one layer (the result would depend on an
// ordering PEFT does not define). Adapter parameters receive gradients; the weight and bias only in full
// fine-tuning (`trainBase`), which the trainer then updates like any other parameter.
// Letters: see runtime/backend.ts. W [O,I], bias [O], x [N,I] (any leading shape), y [N,O].
import type { Backend, Tensor } from '../backend.js';
import { type AdapterParams, type AdditiveAdapter, allocateParams } from './adapter.js';
import { batApplyFactors, batBackward, batChain, batMerge, batUnmergeFactors } from './bat.js';
import { createBone } from './bone.js';
import { type AdapterConfig, checkConfig, paramShapes } from './config.js';
import { createLora } from './lora.js';

export interface LayerAdapter extends AdapterParams {
  readonly name: string;
  readonly config: AdapterConfig;
  /** Present for Bone, mini and LoRA; Bat has no additive term. */
  readonly additive: AdditiveAdapter | null;
}

/** What forward keeps for backward. Dispose it with `disposeCache` once backward has run. */
export interface LinearCache {
  /** The layer input, referenced (not owned) when some adapter's backward needs it. */
  readonly x: Tensor;
  readonly saved: Map<string, Tensor[]>;
  /** The Bat adapters that were live in forward, in order. */
  readonly bat: LayerAdapter[];
  readonly additive: LayerAdapter[];
}

export class AdaptedLinear {
  readonly out: number;
  readonly in: number;
  readonly adapters = new Map<string, LayerAdapter>();
  /** Names of the adapters used in forward (PEFT's active adapters), in order. */
  active: string[] = [];
  /** False: behave as the base layer (PEFT's disable_adapters). */
  enabled = true;
  /** Adapters merged into `weight`, in merge order. */
  readonly merged: string[] = [];
  /** Set while training: seeds the adapters' input dropout (their configs' `dropout`); null = no dropout
   *  (evaluation, generation). The same seed must stay set from a forward to its backward. */
  dropoutSeed: number | null = null;
  /** Set by `trainBase`: the gradients of the weight [O,I] and bias [1,O], written by every backward. */
  weightGrad: Tensor | null = null;
  biasGrad: Tensor | null = null;
  /** [1, N] of ones for the bias gradient's sum over rows, kept while N stays the same. */
  private ones: Tensor | null = null;

  constructor(readonly backend: Backend, readonly weight: Tensor, readonly bias: Tensor | null, readonly label: string) {
    if (weight.shape.length !== 2) throw new Error(`[linear] ${label}: weight must be [out, in], got [${weight.shape}]`);
    [this.out, this.in] = weight.shape as [number, number];
    if (bias && bias.size !== this.out) throw new Error(`[linear] ${label}: bias has ${bias.size} values for out_features=${this.out}`);
  }

  /** Add a zero-initialised adapter (LoRA: A random from `seed`, B zero) and make it active. */
  addAdapter(name: string, config: AdapterConfig, seed = 0): LayerAdapter {
    if (this.adapters.has(name)) throw new Error(`[linear] ${this.label} already has an adapter named "${name}"`);
    checkConfig(config, this.in, this.out, this.label);
    const isBat = config.variant === 'bat';
    for (const other of this.adapters.values()) {
      if ((other.config.variant === 'bat') !== isBat) {
        throw new Error(`[linear] ${this.label}: cannot combine ${config.variant} adapter "${name}" with ${other.config.variant} adapter "${other.name}" ` +
          'on one layer; Bat transforms the weight while the others add to the output (use one kind per layer)');
      }
    }
    const label = `${this.label}.${name}`;
    let entry: LayerAdapter;
    if (config.variant === 'bat') {
      entry = { name, config, additive: null, ...allocateParams(this.backend, paramShapes(config, this.in, this.out), label) };
    } else {
      const additive = config.variant === 'lora'
        ? createLora(this.backend, config, this.in, this.out, label, seed)
        : createBone(this.backend, config, this.out, label);
      entry = { name, config, additive, params: additive.params, grads: additive.grads };
    }
    this.adapters.set(name, entry);
    this.active.push(name);
    return entry;
  }

  /** Make the weight (and bias) trainable: backward writes their gradients from now on. Full fine-tuning;
   *  a float16 weight cannot be trained (load the model with half weights off). */
  trainBase(): { weight: Tensor; bias: Tensor | null } {
    if (this.weight.dtype === 'float16') {
      throw new Error(`[linear] ${this.label}: a float16 weight cannot be trained; load the model with halfWeights: false (--no-half-weights)`);
    }
    this.weightGrad ??= this.backend.tensor(this.weight.shape, undefined, `${this.label}.weight.grad`);
    if (this.bias) this.biasGrad ??= this.backend.tensor([1, this.out], undefined, `${this.label}.bias.grad`);
    return { weight: this.weightGrad, bias: this.biasGrad };
  }

  /** The tensors full fine-tuning added (gradients, the ones row), for the model to free. */
  baseTensors(): Tensor[] {
    return [this.weightGrad, this.biasGrad, this.ones].filter((t): t is Tensor => t !== null);
  }

  /** The adapters forward applies on top of `weight`: active, not merged, and only while enabled. */
  private live(): LayerAdapter[] {
    if (!this.enabled) {
      if (this.merged.length) {
        throw new Error(`[linear] ${this.label}: adapters ${this.merged.join(', ')} are merged into the weight; unmerge() before disabling adapters`);
      }
      return [];
    }
    return this.active.filter((n) => !this.merged.includes(n)).map((n) => this.get(n));
  }

  get(name: string): LayerAdapter {
    const a = this.adapters.get(name);
    if (!a) throw new Error(`[linear] ${this.label} has no adapter "${name}" (it has: ${[...this.adapters.keys()].join(', ') || 'none'})`);
    return a;
  }

  /** y [.., O] for x [.., I]. Pass the cache to `backward`, then `disposeCache` it. */
  forward(x: Tensor): { y: Tensor; cache: LinearCache } {
    if (x.shape[x.shape.length - 1] !== this.in) {
      throw new Error(`[linear] ${this.label}: input [${x.shape}] does not end in in_features=${this.in}`);
    }
    const live = this.live();
    const bat = live.filter((a) => a.config.variant === 'bat');
    const additive = live.filter((a) => a.additive);
    const y = this.backend.tensor([...x.shape.slice(0, -1), this.out], undefined, `${this.label}.y`);
    const chain = batChain(this.backend, this.weight, bat.map((a) => a.params.block));
    this.backend.matmul(x, chain[chain.length - 1], y, { transB: true }); // y = x W'^T
    for (const t of chain.slice(1)) this.backend.dispose(t);
    if (this.bias) this.backend.tile(this.bias, y);
    const saved = new Map<string, Tensor[]>();
    for (const a of additive) saved.set(a.name, a.additive!.forward(x, y, this.seedFor(a)));
    return { y, cache: { x, saved, bat, additive } };
  }

  /** From g = dL/dy: write every live adapter's gradients; return dL/dx when `inputGrad` (default). */
  backward(cache: LinearCache, g: Tensor, inputGrad = true): Tensor | null {
    const dx = inputGrad ? this.backend.tensor(cache.x.shape, undefined, `${this.label}.dx`) : null;
    if (cache.bat.length) {
      batBackward(this.backend, this.weight, cache.bat, cache.x, g, dx);
    } else if (dx) {
      this.backend.matmul(g, this.weight, dx); // dx = G W
    }
    for (const a of cache.additive) a.additive!.backward(cache.saved.get(a.name)!, cache.x, g, dx, this.seedFor(a));
    if (this.weightGrad) this.backend.matmul(g, cache.x, this.weightGrad, { transA: true }); // dW [O,I] = G^T X
    if (this.biasGrad) {
      const rows = g.size / this.out;
      if (this.ones?.size !== rows) {
        if (this.ones) this.backend.dispose(this.ones);
        this.ones = this.backend.tensor([1, rows], new Float32Array(rows).fill(1), `${this.label}.ones`);
      }
      this.backend.matmul(this.ones, g, this.biasGrad); // db [1,O] = 1^T G
    }
    return dx;
  }

  /** Each adapter draws its own dropout mask: the layer's seed mixed with the adapter's position. */
  private seedFor(a: LayerAdapter): number | null {
    if (this.dropoutSeed === null) return null;
    const index = [...this.adapters.keys()].indexOf(a.name);
    return (this.dropoutSeed ^ Math.imul(index + 1, 0x27d4eb2d)) >>> 0;
  }

  disposeCache(cache: LinearCache): void {
    for (const ts of cache.saved.values()) for (const t of ts) this.backend.dispose(t);
    cache.saved.clear();
  }

  /** Merge the named adapters (default: every active one not yet merged) into the weight, in order. */
  merge(names: string[] = this.active.filter((n) => !this.merged.includes(n))): void {
    for (const name of names) {
      const a = this.get(name);
      if (this.merged.includes(name)) throw new Error(`[linear] ${this.label}: adapter "${name}" is already merged`);
      if (a.additive) a.additive.merge(this.weight, 1);
      else batMerge(this.backend, this.weight, a.params.block);
      this.merged.push(name);
    }
  }

  /** Undo every merge, last first. If a Bat block cannot be inverted, nothing is changed and the error
   *  names the block. */
  async unmerge(): Promise<void> {
    const order = [...this.merged].reverse().map((n) => this.get(n));
    const factors = new Map<string, Awaited<ReturnType<typeof batUnmergeFactors>>>();
    for (const a of order) {
      if (!a.additive) factors.set(a.name, await batUnmergeFactors(this.backend, a.params.block, `${this.label} adapter "${a.name}"`));
    }
    for (const a of order) {
      if (a.additive) a.additive.merge(this.weight, -1);
      else batApplyFactors(this.backend, this.weight, a.params.block, factors.get(a.name)!);
      this.merged.pop();
    }
  }

  /** Floats kept between forward and backward for N tokens, beyond the layer input itself. */
  savedFloats(n: number): number {
    return this.live().reduce((sum, a) => sum + (a.additive ? a.additive.savedFloats(n) : 0), 0);
  }

  /** Whether backward reads the layer input (LoRA, Bat and a trained weight do; Bone and mini do not). */
  needsInput(): boolean {
    return this.weightGrad !== null || this.live().some((a) => !a.additive || a.additive.needsInput);
  }
}
