// The training loop: micro-batches forward and backward on the backend, gradient accumulation, global-norm
// clipping, AdamW with a warmup + decay schedule, held-out evaluation. Deterministic for a seed on one
// backend: the data order is a permutation drawn from (seed, epoch), so a run resumed from a checkpoint
// continues with exactly the batches (and losses) the uninterrupted run would have seen.
// Micro-batches go through LlamaModel.forwardLoss, so the [N, V] logits never exist at once. Per optimizer
// step the CPU reads back the loss of each micro-batch (one float per LM-head chunk, read once the whole
// forward and backward is queued) and one float for the gradient norm.
import type { Backend, Tensor } from '../backend.js';
import { OsteonError } from '../errors.js';
import type { LlamaModel } from '../model/llama.js';
import type { ModelAdapter } from '../peft/adapter.js';
import { type Batch, type Example, permutation, toBatches } from './data.js';
import { type ScheduleKind, learningRate } from './schedule.js';

export interface TrainConfig {
  steps: number;
  batchSize: number;
  gradAccum: number;
  lr: number;
  schedule: ScheduleKind;
  warmup: number;
  minLrRatio: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Clip the global gradient norm to this value; 0 turns clipping off. */
  maxGradNorm: number;
  seed: number;
}

export const DEFAULT_TRAIN: TrainConfig = {
  steps: 100, batchSize: 4, gradAccum: 1, lr: 2e-4, schedule: 'cosine', warmup: 10, minLrRatio: 0.1,
  weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1, seed: 42,
};

export interface StepLog { step: number; loss: number; lr: number; gradNorm: number; tokens: number }

/** What a run trains: named parameters with their gradients (and whether weight decay applies to each), and
 *  an identity that a checkpoint must match to be restored into it. */
export interface Trainables {
  id: string;
  params: { key: string; param: Tensor; grad: Tensor; decay: boolean }[];
}

/** An adapter's parameters, keyed `<module path>.<param>`, identified by its configuration. */
export function adapterTrainables(adapter: ModelAdapter): Trainables {
  const params: Trainables['params'] = [];
  for (const [path, layer] of adapter.layers) {
    for (const [name, param] of Object.entries(layer.params)) params.push({ key: `${path}.${name}`, param, grad: layer.grads[name], decay: true });
  }
  return { id: JSON.stringify(adapter.config.raw), params };
}

/** Every weight of the model, by checkpoint name (full fine-tuning: LlamaModel.trainAll). */
export function fullTrainables(model: LlamaModel): Trainables {
  return { id: 'full', params: model.trainAll() };
}

/** One trainable tensor with its gradient and AdamW moments. */
export interface TrainedTensor { key: string; param: Tensor; grad: Tensor; decay: boolean; m: Tensor; v: Tensor; accum: Tensor | null }

/** Where the data stream stands: the epoch and the next row within its permutation. */
export interface DataCursor { epoch: number; next: number }

export class Trainer {
  step = 0;
  cursor: DataCursor = { epoch: 0, next: 0 };
  readonly history: StepLog[] = [];
  readonly tensors: TrainedTensor[] = [];
  /** The checkpoint identity of what is trained (Trainables.id). */
  readonly trains: string;
  private readonly norm: Tensor;

  /** `trained`: an adapter, or any Trainables (fullTrainables for full fine-tuning). */
  constructor(
    readonly backend: Backend, readonly model: LlamaModel, trained: ModelAdapter | Trainables,
    readonly rows: Example[], readonly config: TrainConfig,
  ) {
    if (!rows.length) throw new OsteonError('train', 'no training rows (is the data file empty, or every row shorter than 2 tokens?)');
    const { id, params } = 'layers' in trained ? adapterTrainables(trained) : trained;
    this.trains = id;
    for (const { key, param, grad, decay } of params) {
      const zeros = (what: string) => backend.tensor(param.shape, undefined, `${key}.${what}`);
      this.tensors.push({
        key, param, grad, decay, m: zeros('exp_avg'), v: zeros('exp_avg_sq'), accum: config.gradAccum > 1 ? zeros('accum') : null,
      });
    }
    this.norm = backend.tensor([1], undefined, 'grad-norm^2');
  }

  /** The next batch of rows in this epoch's order (a new permutation each epoch). */
  private nextBatch(): Batch {
    const order = permutation(this.rows.length, this.config.seed + this.cursor.epoch);
    const take = order.slice(this.cursor.next, this.cursor.next + this.config.batchSize);
    this.cursor = this.cursor.next + take.length >= order.length
      ? { epoch: this.cursor.epoch + 1, next: 0 }
      : { epoch: this.cursor.epoch, next: this.cursor.next + take.length };
    return toBatches(this.rows, take.length, take)[0];
  }

  /** Forward + backward on one batch, the LM head and loss in chunks (LlamaModel.forwardLoss); the loss is
   *  read back once everything is queued (the one sync point of a micro-batch). */
  private async microStep(batch: Batch, micro: number): Promise<number> {
    this.setDropoutSeeds(micro);
    try {
      return await this.model.forwardLoss(batch.ids, batch.labels, batch.batch, true);
    } finally {
      for (const linear of this.model.linears.values()) linear.dropoutSeed = null;
    }
  }

  /** Dropout masks drawn from (seed, step, micro-batch, layer): a resumed run draws the same ones. */
  private setDropoutSeeds(micro: number): void {
    let j = 0;
    for (const linear of this.model.linears.values()) {
      let h = Math.imul(this.config.seed ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(this.step + 1, 0x165667b1);
      h = Math.imul(h ^ (h >>> 15), 0x85ebca77) ^ Math.imul(micro + 1, 0xc2b2ae3d) ^ Math.imul(++j, 0x9e3779b1);
      linear.dropoutSeed = (h ^ (h >>> 13)) >>> 0;
    }
  }

  /** One optimizer step over `gradAccum` micro-batches. Throws on a non-finite loss or gradient, before
   *  the parameters are touched, so the adapter and the last checkpoint stay good. */
  async trainStep(): Promise<StepLog> {
    const c = this.config;
    let lossSum = 0, tokens = 0;
    for (let micro = 0; micro < c.gradAccum; micro++) {
      const batch = this.nextBatch();
      lossSum += await this.microStep(batch, micro);
      tokens += batch.ids.length;
      for (const t of this.tensors) {
        if (!t.accum) continue;
        if (micro === 0) this.backend.copy(t.grad, t.accum);
        else this.backend.add(t.grad, t.accum);
      }
    }
    const loss = lossSum / c.gradAccum;
    this.tensors.forEach((t, i) => this.backend.sumSquares(t.accum ?? t.grad, this.norm, i > 0));
    const gradNorm = Math.sqrt((await this.backend.read(this.norm))[0]) / c.gradAccum;
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      throw new OsteonError('train', `${Number.isFinite(loss) ? 'gradient norm' : 'loss'} is ${Number.isFinite(loss) ? gradNorm : loss} at step ${this.step + 1}; ` +
        `the adapter was not updated. Lower the learning rate (--lr, now ${c.lr}), keep gradient clipping on (--max-grad-norm), or check the data`);
    }
    const lr = learningRate({ kind: c.schedule, lr: c.lr, warmup: c.warmup, total: c.steps, minRatio: c.minLrRatio }, this.step);
    const clip = c.maxGradNorm > 0 && gradNorm > c.maxGradNorm ? c.maxGradNorm / gradNorm : 1;
    this.step++;
    for (const t of this.tensors) {
      this.backend.adamw(t.param, t.accum ?? t.grad, t.m, t.v, {
        lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: t.decay ? c.weightDecay : 0, step: this.step, gradScale: clip / c.gradAccum,
      });
    }
    const log = { step: this.step, loss, lr, gradNorm, tokens };
    this.history.push(log);
    return log;
  }

  /** Free the optimizer state (the trained tensors and their gradients stay with the model). */
  dispose(): void {
    for (const t of this.tensors) for (const x of [t.m, t.v, t.accum]) if (x) this.backend.dispose(x);
    this.backend.dispose(this.norm);
  }
}

export interface EvalResult { loss: number; perplexity: number; tokens: number }

/** Mean token cross-entropy over every scored position of the batches, and its perplexity. A batch whose loss
 *  is NaN or infinite stops the evaluation with an OsteonError naming the first layer whose output is not
 *  finite (found by running that batch again with checks, so a finite evaluation costs nothing extra). */
export async function evaluate(model: LlamaModel, batches: Batch[]): Promise<EvalResult> {
  let weighted = 0, tokens = 0;
  for (const [i, b] of batches.entries()) {
    if (!b.scored) continue;
    const loss = await model.forwardLoss(b.ids, b.labels, b.batch, false);
    if (!Number.isFinite(loss)) await nonFiniteLoss(model, b, i, loss);
    weighted += loss * b.scored;
    tokens += b.scored;
  }
  if (!tokens) throw new OsteonError('eval', 'no scored tokens (every label is -100?)');
  const loss = weighted / tokens;
  return { loss, perplexity: Math.exp(loss), tokens };
}

async function nonFiniteLoss(model: LlamaModel, b: Batch, index: number, loss: number): Promise<never> {
  const where = await model.firstNonFinite(b.ids, b.batch);
  throw new OsteonError('eval', `the loss of batch ${index + 1} is ${loss}: ` + (where
    ? `values first become NaN or infinite in ${where}; the weights or the adapter overflow float32 there ` +
      '(an adapter trained with too high an --lr?): evaluate without --adapter to compare'
    : 'every logit is finite, so the cross-entropy overflowed; check the labels'));
}
