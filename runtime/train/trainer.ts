// The training loop: micro-batches forward and backward on the backend, gradient accumulation, global-norm
// clipping, AdamW with a warmup + decay schedule, held-out evaluation. Deterministic for a seed on one
// backend: the data order is a permutation drawn from (seed, epoch), so a run resumed from a checkpoint
// continues with exactly the batches (and losses) the uninterrupted run would have seen.
// Micro-batches go through LlamaModel.queueLoss, so the [N, V] logits never exist at once. A step is queued
// whole before anything is read: the micro-batches add their losses into one device scalar, the gradient
// norm, the clipping factor and the NaN guard are decided on the device (Backend.stepStats), and AdamW
// takes its factor from there. The CPU reads one small tensor per step, [scale, loss, gradNorm], and `run`
// queues the next step before waiting for it, so a GPU is never idle while the numbers travel.
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
  /** The step's loss, summed over its micro-batches' chunks; its squared gradient norm; and stepStats' output. */
  private readonly loss: Tensor;
  private readonly normSq: Tensor;
  private readonly stats: Tensor;

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
    this.loss = backend.tensor([1], undefined, 'step loss');
    this.normSq = backend.tensor([1], undefined, 'grad-norm^2');
    this.stats = backend.tensor([3], undefined, 'step stats');
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

  /** Queue forward + backward on one batch, the LM head and loss in chunks (LlamaModel.queueLoss), its loss
   *  counted into the step's at weight 1 / gradAccum. */
  private microStep(batch: Batch, micro: number): void {
    this.setDropoutSeeds(micro);
    try {
      this.model.queueLoss(batch.ids, batch.labels, batch.batch, true, this.loss, { weight: 1 / this.config.gradAccum, accumulate: micro > 0 });
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

  /** One optimizer step over `gradAccum` micro-batches, queued at once; the promise gives its log when the
   *  device has run it. Rejects on a non-finite loss or gradient, which the device has already kept from
   *  touching the parameters (Backend.stepStats, adamw), so the adapter and the last checkpoint stay good;
   *  every later step of this trainer fails alike (continue from the checkpoint, with a new trainer). */
  async trainStep(): Promise<StepLog> {
    const c = this.config;
    let tokens = 0;
    for (let micro = 0; micro < c.gradAccum; micro++) {
      const batch = this.nextBatch();
      this.microStep(batch, micro);
      tokens += batch.ids.length;
      for (const t of this.tensors) {
        if (!t.accum) continue;
        if (micro === 0) this.backend.copy(t.grad, t.accum);
        else this.backend.add(t.grad, t.accum);
      }
    }
    this.tensors.forEach((t, i) => this.backend.sumSquares(t.accum ?? t.grad, this.normSq, i > 0));
    this.backend.stepStats(this.loss, this.normSq, { maxNorm: c.maxGradNorm, divisor: c.gradAccum }, this.stats);
    const lr = learningRate({ kind: c.schedule, lr: c.lr, warmup: c.warmup, total: c.steps, minRatio: c.minLrRatio }, this.step);
    const step = ++this.step;
    for (const t of this.tensors) {
      this.backend.adamw(t.param, t.accum ?? t.grad, t.m, t.v, this.stats, {
        lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: t.decay ? c.weightDecay : 0, step,
      });
    }
    const [scale, loss, gradNorm] = await this.backend.read(this.stats);
    if (!Number.isFinite(scale)) {
      this.step = Math.min(this.step, step - 1); // a step queued behind this one was skipped on the device too
      const what = !Number.isFinite(loss) ? `loss is ${loss}` : !Number.isFinite(gradNorm) ? `gradient norm is ${gradNorm}` : 'an earlier step failed';
      throw new OsteonError('train', `${what} at step ${step}; the adapter was not updated. Lower the learning rate ` +
        `(--lr, now ${c.lr}), keep gradient clipping on (--max-grad-norm), or check the data`);
    }
    const log = { step, loss, lr, gradNorm, tokens };
    this.history.push(log);
    return log;
  }

  /** The steps up to `steps`, each log as its step finishes. The next step is queued before this one's
   *  numbers are awaited, so the device computes while they travel, except after a step for which
   *  `pauseAfter(step)` holds (a checkpoint, an evaluation or a cancellation comes next, and needs the
   *  parameters as that step leaves them). Leaving the loop early waits for the step in flight, so the
   *  history and the parameters agree. */
  async *run(steps: number, pauseAfter: (step: number) => boolean = () => false): AsyncGenerator<StepLog> {
    let next: Promise<StepLog> | null = null;
    try {
      while (this.step < steps || next) {
        const current: Promise<StepLog> = next ?? this.trainStep();
        next = this.step < steps && !pauseAfter(this.step) ? this.trainStep() : null;
        yield await current;
      }
    } finally {
      await next?.catch(() => {}); // its own failure, if any, repeats the one being reported
    }
  }

  /** Free the optimizer state (the trained tensors and their gradients stay with the model). */
  dispose(): void {
    for (const t of this.tensors) for (const x of [t.m, t.v, t.accum]) if (x) this.backend.dispose(x);
    for (const x of [this.loss, this.normSq, this.stats]) this.backend.dispose(x);
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
