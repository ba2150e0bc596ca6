// Keys and values of every layer for the tokens generated so far, on the backend, so that each new token
// attends to them instead of recomputing the whole sequence. Capacity is fixed at creation.
// Letters: see runtime/backend.ts; C = capacity in tokens.
import type { AttentionOptions, Backend, Tensor } from '../backend.js';
import type { ModelConfig } from '../model/config.js';

export class KVCache {
  /** Tokens already cached per sequence. */
  length = 0;
  private readonly keys: Tensor[] = []; // per layer [Bt, C, Hk*E]
  private readonly values: Tensor[] = [];

  constructor(readonly backend: Backend, config: ModelConfig, readonly batch: number, readonly capacity: number) {
    const shape = [batch, capacity, config.kvHeads * config.headDim];
    for (let l = 0; l < config.layers; l++) {
      this.keys.push(backend.tensor(shape, undefined, `kv.${l}.keys`));
      this.values.push(backend.tensor(shape, undefined, `kv.${l}.values`));
    }
  }

  /** Layer `l`'s attention for new queries, appending their keys and values to the cache. The model
   *  advances `length` once every layer has attended. */
  attend(l: number, q: Tensor, k: Tensor, v: Tensor, out: Tensor, options: AttentionOptions): void {
    this.backend.attentionDecode(q, k, v, this.keys[l], this.values[l], this.length, out, options);
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) this.backend.dispose(t);
  }
}
