// A LLaMA-family decoder (llama, qwen2, mistral; see runtime/model/config.ts) with hand-written forward and
// backward passes, following transformers' LlamaForCausalLM:
//   x = embed(ids); per layer: x += o(attn(rope(q(n)), rope(k(n)), v(n))) with n = rmsnorm1(x),
//   x += down(silu(gate(m)) * up(m)) with m = rmsnorm2(x); logits = lm_head(rmsnorm(x)).
// The seven projections of every layer are AdaptedLinear layers (runtime/adapters/linear.ts), so adapters
// attach to them by module path ("model.layers.0.self_attn.q_proj"). Base weights are frozen and only adapter
// blocks receive gradients, unless `trainAll` makes every weight trainable (full fine-tuning and
// pretraining). The LM head is never adapted. Written against Backend only, so it runs
// unchanged on any backend. No padding masks or packed sequences yet: every sequence of a batch has the same
// length and positions 0..T-1. The base model has no dropout (LLaMA's attention and hidden dropout are 0);
// adapter dropout applies while training sets the layers' dropoutSeed (runtime/train/trainer.ts).
// Training and evaluation go through `forwardLoss`, which never holds the [N, V] logits or their gradient:
// the LM head and the loss run on chunks of tokens (lossChunkBytes), each chunk's gradient flowing back
// into dL/d(final normed hidden) before the next chunk's logits exist. `forward` returns whole logits, for
// generation (and tests that compare logits), and never keeps anything for a backward pass.
// Letters: see runtime/backend.ts (Bt sequences, T tokens each, N = Bt T, D hidden, F intermediate, V vocab).
import { type AttentionOptions, type Backend, type LossInto, type Tensor, IGNORE_INDEX } from '../backend.js';
import { AdaptedLinear, type LinearCache } from '../adapters/linear.js';
import { labelCount } from '../shapes.js';
import type { ModelConfig } from './config.js';
import type { KVCache } from '../generate/kv-cache.js';

/** Every tensor the checkpoint must provide, by transformers' name, with its shape (biases as the config
 *  says; no lm_head.weight when the embeddings are tied). */
export function weightShapes(c: ModelConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  shapes.set('model.embed_tokens.weight', [c.vocabSize, c.hidden]);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}`;
    const linear = (name: string, out: number, inF: number, bias: boolean) => {
      shapes.set(`${name}.weight`, [out, inF]);
      if (bias) shapes.set(`${name}.bias`, [out]);
    };
    linear(`${p}.self_attn.q_proj`, q, c.hidden, c.bias.qkv);
    linear(`${p}.self_attn.k_proj`, kv, c.hidden, c.bias.qkv);
    linear(`${p}.self_attn.v_proj`, kv, c.hidden, c.bias.qkv);
    linear(`${p}.self_attn.o_proj`, c.hidden, q, c.bias.o);
    linear(`${p}.mlp.gate_proj`, c.intermediate, c.hidden, c.bias.mlp);
    linear(`${p}.mlp.up_proj`, c.intermediate, c.hidden, c.bias.mlp);
    linear(`${p}.mlp.down_proj`, c.hidden, c.intermediate, c.bias.mlp);
    shapes.set(`${p}.input_layernorm.weight`, [c.hidden]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [c.hidden]);
  }
  shapes.set('model.norm.weight', [c.hidden]);
  if (!c.tieEmbeddings) shapes.set('lm_head.weight', [c.vocabSize, c.hidden]);
  return shapes;
}

interface Layer {
  q: AdaptedLinear; k: AdaptedLinear; v: AdaptedLinear; o: AdaptedLinear;
  gate: AdaptedLinear; up: AdaptedLinear; down: AdaptedLinear;
  norm1: Tensor; norm2: Tensor; // [D]
  attention: AttentionOptions;
}

/** What one layer's forward keeps for its backward. Tensors the backward does not read are not kept. */
interface LayerCache {
  x: Tensor; rstd1: Tensor; // layer input [Bt,T,D] (owned by the cache), [N]
  q: Tensor; k: Tensor; v: Tensor; // after rope: [Bt,T,H*E], [Bt,T,Hk*E], [Bt,T,Hk*E]
  attn: Tensor; lse: Tensor; // attention output [Bt,T,H*E], log-sum-exp [N,H]
  h: Tensor; rstd2: Tensor; // x + o(attn) [Bt,T,D], [N]
  gate: Tensor; up: Tensor; // [Bt,T,F]
  // rmsnorm1(x), rmsnorm2(h) [Bt,T,D] and silu(gate) * up [Bt,T,F] are kept (inside `held`, referenced by
  // the linear caches) only when some adapter on the projection they feed reads its input (Bat, LoRA).
  lin: Map<Projection, LinearCache>;
  held: Tensor[]; // everything above except x, freed once the layer's backward is done
}

type Projection = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

/** Forward state for backward: consumed (and freed) by `backwardFrom`, or freed by `disposeCache`. */
interface ModelCache {
  ids: Int32Array; // [N]
  positions: Int32Array; // [N]
  layers: LayerCache[];
  /** With `recompute`: each layer's input [Bt,T,D] (owned) instead of its full cache. */
  inputs: Tensor[];
  final: Tensor; rstdF: Tensor; // last residual [Bt,T,D] (owned), [N]
}

/** Default bound in bytes on one chunk of logits in `forwardLoss` (LlamaModel.lossChunkBytes). */
export const LOSS_CHUNK_BYTES = 64 * 2 ** 20;

export class LlamaModel {
  /** Every adaptable projection by module path, in model order. */
  readonly linears = new Map<string, AdaptedLinear>();
  private readonly layers: Layer[] = [];
  private readonly embed: Tensor; // [V,D]
  private readonly lmHead: Tensor; // [V,D], the embedding itself when tied
  private readonly finalNorm: Tensor; // [D]
  /** Keep only each layer's input during a training forward and recompute the layer during backward:
   *  activation memory falls to one [Bt,T,D] tensor per layer for about one extra forward pass. */
  recompute = false;
  /** Bound in bytes on one chunk of logits (and one of their gradient) in `forwardLoss`: a chunk holds
   *  floor(lossChunkBytes / (4 V)) tokens, at least one. */
  lossChunkBytes = LOSS_CHUNK_BYTES;
  /** Gradients of the base weights by weight (set by `trainAll`; the linear layers hold their own). */
  private baseGrads: Map<Tensor, Tensor> | null = null;

  /** `weights` as weightShapes(config) describes them; the model takes ownership. */
  constructor(readonly backend: Backend, readonly config: ModelConfig, weights: Map<string, Tensor>) {
    const get = (name: string): Tensor => {
      const t = weights.get(name);
      if (!t) throw new Error(`[llama] missing weight "${name}"`);
      return t;
    };
    this.embed = get('model.embed_tokens.weight');
    this.lmHead = config.tieEmbeddings ? this.embed : get('lm_head.weight');
    this.finalNorm = get('model.norm.weight');
    const linear = (path: string) => {
      const layer = new AdaptedLinear(backend, get(`${path}.weight`), weights.get(`${path}.bias`) ?? null, path);
      this.linears.set(path, layer);
      return layer;
    };
    for (let l = 0; l < config.layers; l++) {
      const p = `model.layers.${l}`;
      this.layers.push({
        q: linear(`${p}.self_attn.q_proj`), k: linear(`${p}.self_attn.k_proj`),
        v: linear(`${p}.self_attn.v_proj`), o: linear(`${p}.self_attn.o_proj`),
        gate: linear(`${p}.mlp.gate_proj`), up: linear(`${p}.mlp.up_proj`), down: linear(`${p}.mlp.down_proj`),
        norm1: get(`${p}.input_layernorm.weight`), norm2: get(`${p}.post_attention_layernorm.weight`),
        attention: { heads: config.heads, kvHeads: config.kvHeads, window: config.windows[l] },
      });
    }
  }

  /** Every base weight by its checkpoint name (as weightShapes lists them): with adapters merged, this is
   *  the merged model. */
  namedWeights(): Map<string, Tensor> {
    const out = new Map<string, Tensor>([['model.embed_tokens.weight', this.embed]]);
    for (const [path, linear] of this.linears) {
      out.set(`${path}.weight`, linear.weight);
      if (linear.bias) out.set(`${path}.bias`, linear.bias);
    }
    this.layers.forEach((layer, l) => {
      out.set(`model.layers.${l}.input_layernorm.weight`, layer.norm1);
      out.set(`model.layers.${l}.post_attention_layernorm.weight`, layer.norm2);
    });
    out.set('model.norm.weight', this.finalNorm);
    if (!this.config.tieEmbeddings) out.set('lm_head.weight', this.lmHead);
    return out;
  }

  /** Make every base weight trainable (full fine-tuning): from now on a backward pass writes the gradient of
   *  each, returned here by checkpoint name. Matrices are marked for weight decay; norms and biases are not,
   *  as is usual for transformers. Every weight must be float32 (load with half weights off). */
  trainAll(): { key: string; param: Tensor; grad: Tensor; decay: boolean }[] {
    const grads = (this.baseGrads ??= new Map());
    const out: { key: string; param: Tensor; grad: Tensor; decay: boolean }[] = [];
    const linearGrads = new Map<Tensor, Tensor>();
    for (const linear of this.linears.values()) {
      const g = linear.trainBase();
      linearGrads.set(linear.weight, g.weight);
      if (linear.bias && g.bias) linearGrads.set(linear.bias, g.bias);
    }
    for (const [key, param] of this.namedWeights()) {
      if (param.dtype === 'float16') {
        throw new Error(`[llama] ${key} is a float16 weight and cannot be trained; load the model with halfWeights: false (--no-half-weights)`);
      }
      const grad = linearGrads.get(param) ?? grads.get(param) ?? this.backend.tensor(param.shape, undefined, `${key}.grad`);
      if (!linearGrads.has(param)) grads.set(param, grad);
      out.push({ key, param, grad, decay: param.shape.length === 2 });
    }
    return out;
  }

  /** Free every tensor the model owns: its weights (the tied embedding once), each adapter's parameters
   *  and gradients, and the weights' gradients, so a backend kept for the next job carries none of this
   *  one's memory. */
  dispose(): void {
    const tensors = new Set(this.namedWeights().values());
    for (const t of this.baseGrads?.values() ?? []) tensors.add(t);
    for (const linear of this.linears.values()) {
      for (const t of linear.baseTensors()) tensors.add(t);
      for (const a of linear.adapters.values()) for (const t of [...Object.values(a.params), ...Object.values(a.grads)]) tensors.add(t);
    }
    for (const t of tensors) this.backend.dispose(t);
  }

  /** Switch every adapter of the model on or off (PEFT's enable_adapter_layers / disable_adapter_layers). */
  setAdaptersEnabled(enabled: boolean): void {
    for (const linear of this.linears.values()) linear.enabled = enabled;
  }

  /** Merge every active adapter into the base weights. */
  merge(): void {
    for (const linear of this.linears.values()) linear.merge();
  }

  /** Undo `merge`, layer by layer (a Bat block that cannot be inverted stops with an error naming it). */
  async unmerge(): Promise<void> {
    for (const linear of this.linears.values()) await linear.unmerge();
  }

  /** logits [Bt,T,V] for ids [Bt*T] (row-major [Bt,T]). With a key/value cache (generation,
   *  runtime/generate/kv-cache.ts) the ids continue the cached sequences: positions start at kv.length,
   *  attention reads the cache, and the cache grows by T. */
  forward(ids: Int32Array, batch: number, kv?: KVCache): { logits: Tensor } {
    const b = this.backend, c = this.config;
    const { seq, normed, cache } = this.trunk(ids, batch, false, kv);
    const logits = b.tensor([batch, seq, c.vocabSize], undefined, 'logits');
    b.matmul(normed, this.lmHead, logits, { transB: true }); // [N,V] = [N,D] [V,D]^T
    b.dispose(normed);
    if (kv) kv.length += seq;
    this.disposeCache(cache);
    return { logits };
  }

  /** Mean cross-entropy of logits[:, :-1] against labels[:, 1:] over the scored tokens (labels not -100), as
   *  transformers computes the causal-LM loss, without ever holding [N, V]: the LM head and the loss run on
   *  chunks of at most lossChunkBytes of logits. With `grad`, also the gradient of every live adapter
   *  (written into its grads), and of every base weight after `trainAll`: each chunk's dlogits, weighted by
   *  its share of the scored tokens (crossEntropy means over the chunk's own), adds its rows of dL/d(normed
   *  final hidden) (and of the LM head's gradient) before the chunk is freed; the layers' backward then runs
   *  once from there. Chunks without a scored token are
   *  skipped. Deterministic: the same chunks in the same order on every call. ids, labels [Bt*T]. */
  async forwardLoss(ids: Int32Array, labels: Int32Array, batch: number, grad = false): Promise<number> {
    const loss = this.backend.tensor([1], undefined, 'loss');
    try {
      this.queueLoss(ids, labels, batch, grad, loss, { weight: 1, accumulate: false });
      return (await this.backend.read(loss))[0];
    } finally {
      this.backend.dispose(loss);
    }
  }

  /** forwardLoss without waiting: everything is queued on the backend and the loss goes into loss [1] as
   *  `into` says (loss[0] (=|+=) weight * the batch's loss), so that a training step can count its
   *  micro-batches' losses on the device and read them with its other numbers at once (Trainer). Throws
   *  before queueing anything when the batch is bad. */
  queueLoss(ids: Int32Array, labels: Int32Array, batch: number, grad: boolean, loss: Tensor, into: LossInto): void {
    const b = this.backend, c = this.config;
    const n = ids.length;
    // Every check before the first tensor, so that a bad batch leaves nothing behind.
    const targets = nextTokenTargets(labels, n, sequenceLength(ids, batch));
    const total = labelCount('llama', targets, c.vocabSize, 'label', (i) => `position ${i + 1}`);
    if (!total) throw new Error(`[llama] no token of the batch is scored (every label after the first of each sequence is ${IGNORE_INDEX}): the loss is undefined`);
    const { normed, cache } = this.trunk(ids, batch, grad);
    const dNormed = grad ? b.tensor([n, c.hidden], undefined, 'final.dnorm') : null;
    const step = Math.max(1, Math.floor(this.lossChunkBytes / (4 * c.vocabSize)));
    let chunks = 0;
    const headGrad = grad ? this.baseGrads?.get(this.lmHead) ?? null : null;
    for (let r0 = 0; r0 < n; r0 += step) {
      const rows = Math.min(step, n - r0);
      const chunkTargets = targets.subarray(r0, r0 + rows);
      const scored = chunkTargets.reduce((k, t) => k + +(t !== IGNORE_INDEX), 0);
      if (!scored) continue;
      const whole = rows === n;
      const hidden = whole ? normed : this.gatherRows(normed, r0, rows);
      const logits = b.tensor([rows, c.vocabSize], undefined, 'logits chunk');
      b.matmul(hidden, this.lmHead, logits, { transB: true }); // [rows,V] = [rows,D] [V,D]^T
      const dlogits = dNormed && b.tensor([rows, c.vocabSize], undefined, 'dlogits chunk');
      const weight = scored / total; // crossEntropy divided by the chunk's count; the loss divides by all
      b.crossEntropy(logits, chunkTargets, loss, dlogits, { weight: into.weight * weight, accumulate: into.accumulate || chunks > 0 });
      b.dispose(logits);
      // d lm_head [V,D] (+)= dlogits^T [V,rows] hidden [rows,D]
      if (headGrad && dlogits) b.matmul(dlogits, hidden, headGrad, { transA: true, alpha: weight, accumulate: chunks > 0 });
      if (!whole) b.dispose(hidden);
      chunks++;
      if (!dNormed || !dlogits) continue;
      if (whole) {
        b.matmul(dlogits, this.lmHead, dNormed, { alpha: weight }); // [N,D] = [N,V] [V,D]
      } else {
        const part = b.tensor([rows, c.hidden], undefined, 'final.dnorm chunk');
        b.matmul(dlogits, this.lmHead, part, { alpha: weight });
        this.addRows(part, dNormed, r0);
        b.dispose(part);
      }
      b.dispose(dlogits);
    }
    b.dispose(normed);
    if (dNormed) this.backwardFrom(cache, dNormed, chunks > 0);
    else this.disposeCache(cache);
  }

  /** Where a forward of ids [Bt*T] first holds a NaN or an infinity: "model.embed_tokens", "model.layers.L",
   *  "model.norm and lm_head", or null when the logits are all finite. Reads every layer's output back, so it
   *  is only for explaining a non-finite loss after the fact, never on the fast path. */
  async firstNonFinite(ids: Int32Array, batch: number): Promise<string | null> {
    const b = this.backend, c = this.config;
    const seq = sequenceLength(ids, batch);
    const positions = new Int32Array(ids.length).map((_, i) => i % seq);
    const finite = async (t: Tensor) => (await b.read(t)).every(Number.isFinite);
    let x = b.tensor([batch, seq, c.hidden], undefined, 'embeddings');
    b.embedding(ids, this.embed, x);
    let where = (await finite(x)) ? null : 'model.embed_tokens';
    for (const [l, layer] of this.layers.entries()) {
      if (where) break;
      const { out } = this.layerForward(layer, l, x, positions, false);
      b.dispose(x);
      x = out;
      if (!(await finite(x))) where = `model.layers.${l}`;
    }
    b.dispose(x);
    if (where) return where;
    const { logits } = this.forward(ids, batch);
    const ok = await finite(logits);
    b.dispose(logits);
    return ok ? null : 'model.norm and lm_head';
  }

  /** Embedding and every decoder layer, then the final norm: normed [N,D] (a new tensor) and the cache
   *  backwardFrom needs (kept in full only with `grad`; the caller frees it). */
  private trunk(ids: Int32Array, batch: number, grad: boolean, kv?: KVCache): { seq: number; normed: Tensor; cache: ModelCache } {
    const b = this.backend, c = this.config;
    const seq = sequenceLength(ids, batch);
    const n = ids.length;
    const past = kv?.length ?? 0;
    const positions = new Int32Array(n).map((_, i) => past + (i % seq));
    let x = b.tensor([batch, seq, c.hidden], undefined, 'embeddings');
    b.embedding(ids, this.embed, x);
    const layers: LayerCache[] = [], inputs: Tensor[] = [];
    const keepAll = grad && !this.recompute;
    for (const [l, layer] of this.layers.entries()) {
      const { out, cache } = this.layerForward(layer, l, x, positions, keepAll, kv);
      if (cache) layers.push(cache);
      else if (grad) inputs.push(x);
      else b.dispose(x);
      x = out;
    }
    const rstdF = b.tensor([n], undefined, 'final.rstd');
    const normed = b.tensor([n, c.hidden], undefined, 'final.norm');
    b.rmsNorm(x, this.finalNorm, c.rmsNormEps, normed, rstdF);
    return { seq, normed, cache: { ids, positions, layers, inputs, final: x, rstdF } };
  }

  /** Rows [r0, r0 + rows) of t [N,D] as a new tensor. Backends have no views: the embedding gather copies
   *  them exactly, t standing in for the table. */
  private gatherRows(t: Tensor, r0: number, rows: number): Tensor {
    const out = this.backend.tensor([rows, t.shape[1]], undefined, `${t.label} rows ${r0}+${rows}`);
    this.backend.embedding(Int32Array.from({ length: rows }, (_, i) => r0 + i), t, out);
    return out;
  }

  /** into[r0 + i, :] += part[i, :] for part [rows,D], into [N,D]: a matmul with a one-hot [rows, N]
   *  selection, which is exact (each sum is one product by 1 plus products by 0) and costs 2 N rows D, well
   *  under the chunk's own 2 rows V D. */
  private addRows(part: Tensor, into: Tensor, r0: number): void {
    const rows = part.shape[0], n = into.shape[0];
    const oneHot = new Float32Array(rows * n);
    for (let i = 0; i < rows; i++) oneHot[i * n + r0 + i] = 1;
    const select = this.backend.tensor([rows, n], oneHot, `rows ${r0}+${rows} of ${n}`);
    this.backend.matmul(select, part, into, { transA: true, accumulate: true }); // [N,D] += [rows,N]^T [rows,D]
    this.backend.dispose(select);
  }

  /** One decoder layer: `out` = its output (a new tensor). With `grad` the cache takes ownership of x;
   *  without, every intermediate is freed before returning and the cache is null. */
  private layerForward(layer: Layer, l: number, x: Tensor, positions: Int32Array, grad: boolean, kv?: KVCache): { out: Tensor; cache: LayerCache | null } {
    const b = this.backend, c = this.config, eps = c.rmsNormEps;
    const n = positions.length;
    const lin = new Map<Projection, LinearCache>();
    const held: Tensor[] = [];
    const keep = (t: Tensor) => { held.push(t); return t; };
    const project = (name: Projection, input: Tensor): Tensor => {
      const { y, cache } = layer[name].forward(input);
      if (grad) lin.set(name, cache);
      else layer[name].disposeCache(cache);
      return y;
    };
    const release = (t: Tensor, needed: boolean) => { if (grad && needed) keep(t); else b.dispose(t); };

    const rstd1 = keep(b.tensor([n], undefined, `layers.${l}.rstd1`));
    const n1 = b.tensor(x.shape, undefined, `layers.${l}.n1`);
    b.rmsNorm(x, layer.norm1, eps, n1, rstd1);
    const q = keep(project('q', n1)), k = keep(project('k', n1)), v = keep(project('v', n1));
    release(n1, layer.q.needsInput() || layer.k.needsInput() || layer.v.needsInput());
    b.rope(q, positions, c.invFreq);
    b.rope(k, positions, c.invFreq);
    const attn = keep(b.tensor(q.shape, undefined, `layers.${l}.attn`));
    const lse = keep(b.tensor([n, c.heads], undefined, `layers.${l}.lse`));
    if (kv) kv.attend(l, q, k, v, attn, layer.attention);
    else b.attention(q, k, v, attn, lse, layer.attention);
    const o = project('o', attn);
    const h = keep(b.tensor(x.shape, undefined, `layers.${l}.h`));
    b.copy(x, h);
    b.add(o, h); // h = x + o(attn)
    b.dispose(o);

    const rstd2 = keep(b.tensor([n], undefined, `layers.${l}.rstd2`));
    const n2 = b.tensor(x.shape, undefined, `layers.${l}.n2`);
    b.rmsNorm(h, layer.norm2, eps, n2, rstd2);
    const gate = keep(project('gate', n2)), up = keep(project('up', n2));
    release(n2, layer.gate.needsInput() || layer.up.needsInput());
    const act = b.tensor(gate.shape, undefined, `layers.${l}.act`);
    b.swiglu(gate, up, act);
    const down = project('down', act);
    release(act, layer.down.needsInput());
    const out = b.tensor(x.shape, undefined, `layers.${l}.out`);
    b.copy(h, out);
    b.add(down, out); // out = h + down(act)
    b.dispose(down);
    if (!grad) {
      for (const t of held) b.dispose(t);
      return { out, cache: null };
    }
    return { out, cache: { x, rstd1, q, k, v, attn, lse, h, rstd2, gate, up, lin, held } };
  }

  /** Backward from dL/d(normed final hidden) [N,D] (freed here, with the cache). `headWritten`: the LM head's
   *  gradient was written (so a tied embedding's gradient adds to it). */
  private backwardFrom(cache: ModelCache, dNormed: Tensor, headWritten: boolean): void {
    const b = this.backend, grads = this.baseGrads;
    const d = b.tensor(cache.final.shape, undefined, 'dresidual'); // dL/d(residual stream), updated in place
    b.rmsNormBackward(cache.final, this.finalNorm, cache.rstdF, dNormed, d);
    if (grads) b.rmsNormWeightGrad(cache.final, cache.rstdF, dNormed, grads.get(this.finalNorm)!);
    b.dispose(dNormed);
    for (let l = this.layers.length - 1; l >= 0; l--) {
      let layerCache = cache.layers[l];
      if (!layerCache) {
        // Recompute mode: run the layer again from its saved input, this time keeping what backward needs.
        const again = this.layerForward(this.layers[l], l, cache.inputs[l], cache.positions, true);
        b.dispose(again.out);
        layerCache = again.cache!;
        cache.inputs.length = l; // the cache now owns the input
      }
      this.layerBackward(this.layers[l], layerCache, d, cache.positions, l > 0 || grads !== null);
      this.freeLayer(this.layers[l], layerCache);
    }
    // d is now dL/d(embeddings); a tied table already holds the LM head's part.
    if (grads) b.embeddingBackward(cache.ids, d, grads.get(this.embed)!, this.config.tieEmbeddings && headWritten);
    b.dispose(d);
    cache.layers.length = 0;
    this.disposeCache(cache);
  }

  /** Free a cache without running backward (also safe after backward). */
  private disposeCache(cache: ModelCache): void {
    for (const [l, s] of cache.layers.entries()) this.freeLayer(this.layers[l], s);
    cache.layers.length = 0;
    for (const x of cache.inputs) this.backend.dispose(x);
    cache.inputs.length = 0;
    this.backend.dispose(cache.final);
    this.backend.dispose(cache.rstdF);
  }

  /** d [Bt,T,D]: gradient of the layer output on entry, of the layer input on exit (only when `inputGrad`:
   *  the first layer's input is the embedding, whose gradient only full fine-tuning needs). Writes the norm
   *  weights' gradients after `trainAll`. */
  private layerBackward(layer: Layer, s: LayerCache, d: Tensor, positions: Int32Array, inputGrad: boolean): void {
    const b = this.backend, invFreq = this.config.invFreq;
    const back = (name: Projection, g: Tensor, wantInput = true) => layer[name].backward(s.lin.get(name)!, g, wantInput);
    const addInto = (into: Tensor, t: Tensor) => { b.add(t, into); b.dispose(t); };

    // MLP: out = h + down(silu(gate) * up)
    const dAct = back('down', d)!;
    const dGate = b.tensor(s.gate.shape, undefined, 'dgate'), dUp = b.tensor(s.up.shape, undefined, 'dup');
    b.swigluBackward(s.gate, s.up, dAct, dGate, dUp);
    b.dispose(dAct);
    const dn2 = back('gate', dGate)!;
    addInto(dn2, back('up', dUp)!);
    b.dispose(dGate);
    b.dispose(dUp);
    b.rmsNormBackward(s.h, layer.norm2, s.rstd2, dn2, d); // d is now dL/dh
    const grads = this.baseGrads;
    if (grads) b.rmsNormWeightGrad(s.h, s.rstd2, dn2, grads.get(layer.norm2)!);
    b.dispose(dn2);

    // attention: h = x + o(attention(rope(q(n1)), rope(k(n1)), v(n1)))
    const dAttn = back('o', d)!;
    const dq = b.tensor(s.q.shape, undefined, 'dq'), dk = b.tensor(s.k.shape, undefined, 'dk'), dv = b.tensor(s.v.shape, undefined, 'dv');
    b.attentionBackward(s.q, s.k, s.v, s.attn, s.lse, dAttn, dq, dk, dv, layer.attention);
    b.dispose(dAttn);
    b.ropeBackward(dq, positions, invFreq);
    b.ropeBackward(dk, positions, invFreq);
    const dn1 = back('q', dq, inputGrad), dnk = back('k', dk, inputGrad), dnv = back('v', dv, inputGrad);
    for (const t of [dq, dk, dv]) b.dispose(t);
    if (dn1 && dnk && dnv) {
      addInto(dn1, dnk);
      addInto(dn1, dnv);
      b.rmsNormBackward(s.x, layer.norm1, s.rstd1, dn1, d); // d is now dL/dx
      if (grads) b.rmsNormWeightGrad(s.x, s.rstd1, dn1, grads.get(layer.norm1)!);
      b.dispose(dn1);
    }
  }

  private freeLayer(layer: Layer, s: LayerCache): void {
    for (const [name, lc] of s.lin) layer[name].disposeCache(lc);
    s.lin.clear();
    for (const t of s.held) this.backend.dispose(t);
    s.held.length = 0;
    this.backend.dispose(s.x);
  }
}

/** T of ids [Bt*T] for batch = Bt. */
function sequenceLength(ids: Int32Array, batch: number): number {
  const seq = ids.length / batch;
  if (!Number.isInteger(seq) || seq < 1) throw new Error(`[llama] ${ids.length} token ids do not split into batch=${batch} sequences`);
  return seq;
}

/** The causal-LM targets of labels [N] in sequences of `seq`: position t predicts labels[t + 1]; the last
 *  position of each sequence predicts nothing (IGNORE_INDEX). */
function nextTokenTargets(labels: Int32Array, n: number, seq: number): Int32Array {
  if (labels.length !== n) throw new Error(`[llama] ${labels.length} labels for ${n} tokens: pass one label per input token`);
  return new Int32Array(n).map((_, i) => (i % seq === seq - 1 ? IGNORE_INDEX : labels[i + 1]));
}
