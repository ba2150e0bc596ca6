// finetune(): train a Bone, Bat, mini or LoRA adapter on a model and data, the same call in Node and in a
// page (the CLI's `osteon finetune` and the web page are thin shells over it). It reports progress per step,
// stops at an AbortSignal between steps (keeping a checkpoint), checkpoints into a key-value store every
// `checkpointEvery` steps, resumes from it, and returns the adapter in PEFT's layout with its loss curve and
// training log as files, ready to write to a folder, OPFS or a download.
import type { AdapterConfig, Variant } from '../adapters/config.js';
import { saveAdapter, attachAdapter } from '../peft/adapter.js';
import { newPeftConfig } from '../peft/config.js';
import { BUILTIN_EOS } from '../builtin/tokenizer.js';
import { splitHeldOut, toBatches, toRows } from '../train/data.js';
import { DEFAULT_TRAIN, type EvalResult, type StepLog, type TrainConfig, Trainer, evaluate as meanLoss } from '../train/trainer.js';
import { checkpointBytes, restoreCheckpoint } from '../train/checkpoint.js';
import { lossCurveSvg } from '../train/plot.js';
import type { ScheduleKind } from '../train/schedule.js';
import { type BackendOption, withModel } from './open.js';
import { readExamples } from './examples.js';
import type { DataSource, FolderSource } from './sources.js';
import type { CheckpointStore } from './store.js';
import { abortError, nextTask } from './tasks.js';
import { OsteonError } from '../errors.js';

export const METHODS: readonly Variant[] = ['bone', 'bat', 'mini', 'lora'];
export const CHECKPOINT_KEY = 'checkpoint.safetensors';

/** Every `osteon finetune` flag, camelCased; anything left out takes the CLI's default. */
export interface FinetuneOptions {
  /** A model folder (default: the built-in model). */
  model?: FolderSource;
  /** JSONL or text data (default: the built-in question-and-answer data). */
  data?: DataSource;
  method?: Variant;
  /** Block size (Bone, Bat, mini) or rank (LoRA); default 64, 16 for the built-in model. */
  r?: number;
  miniR?: number;
  alpha?: number;
  dropout?: number;
  /** Module names, a regex, or 'all-linear' (default). */
  targets?: string | string[];
  steps?: number;
  batch?: number;
  seq?: number;
  accum?: number;
  lr?: number;
  schedule?: ScheduleKind;
  warmup?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  /** Fraction (< 1) or count of examples kept out for evaluation (default 0.1). */
  heldOut?: number;
  evalEvery?: number;
  checkpointEvery?: number;
  noPack?: boolean;
  recompute?: boolean;
  /** Continue from the checkpoint in `checkpoint`. */
  resume?: boolean;
  seed?: number;
  backend?: BackendOption;
  /** Keep frozen weight matrices in float16 where the backend can; default: on WebGPU with shader-f16, and on
   *  WebAssembly for checkpoints stored in BF16/F16 (runtime/model/fits.ts `halfByDefault`). */
  halfWeights?: boolean;
  checkpoint?: CheckpointStore;
  signal?: AbortSignal;
  onProgress?: (event: FinetuneEvent) => void;
  /** One line of text per notable moment (what was loaded, resumed, written). */
  onLog?: (line: string) => void;
}

export type FinetuneEvent =
  | { kind: 'start'; model: string; backend: string; device: string; method: Variant; r: number; layers: number;
      trainable: number; adapterBytes: number; rows: number; heldOut: number; step: number; steps: number }
  | { kind: 'step'; step: number; steps: number; loss: number; lr: number; gradNorm: number; tokensPerSecond: number;
      elapsedSeconds: number; etaSeconds: number }
  | { kind: 'eval'; step: number; loss: number; perplexity: number }
  | { kind: 'checkpoint'; step: number; store: string };

export interface FinetuneResult {
  /** adapter_config.json, adapter_model.safetensors (PEFT's layout), loss.svg, training_log.json */
  files: Map<string, Uint8Array>;
  /** Training loss per step (from step 1, including steps before a resume). */
  losses: number[];
  heldOutLoss: number | null;
  heldOutPerplexity: number | null;
  history: StepLog[];
  /** [step, held-out loss] at every evaluation. */
  evals: [number, number][];
  trainable: number;
  backend: string;
  seconds: number;
}

export function adapterConfig(o: FinetuneOptions, r: number): AdapterConfig {
  const method = o.method ?? 'bone';
  if (!METHODS.includes(method)) throw new OsteonError('finetune', `method=${method} is not one of ${METHODS.join(', ')}`);
  const dropout = o.dropout ?? 0;
  if (method === 'bat' && dropout > 0) throw new OsteonError('finetune', 'Bat has no input dropout (PEFT applies none either); leave dropout at 0');
  if (method === 'lora') return { variant: 'lora', r, alpha: o.alpha ?? 2 * r, dropout };
  if (method === 'mini') return { variant: 'mini', r, miniR: o.miniR ?? 1, dropout };
  if (method === 'bat') return { variant: 'bat', r };
  return { variant: 'bone', r, dropout };
}

function trainConfig(o: FinetuneOptions, builtin: boolean): TrainConfig {
  const config: TrainConfig = {
    ...DEFAULT_TRAIN,
    steps: o.steps ?? (builtin ? 300 : DEFAULT_TRAIN.steps), batchSize: o.batch ?? DEFAULT_TRAIN.batchSize,
    gradAccum: o.accum ?? 1, lr: o.lr ?? (builtin ? 3e-3 : DEFAULT_TRAIN.lr), schedule: o.schedule ?? DEFAULT_TRAIN.schedule,
    warmup: o.warmup ?? DEFAULT_TRAIN.warmup, weightDecay: o.weightDecay ?? 0, maxGradNorm: o.maxGradNorm ?? 1,
    seed: o.seed ?? DEFAULT_TRAIN.seed,
  };
  if (!['cosine', 'linear', 'constant'].includes(config.schedule)) throw new OsteonError('finetune', `schedule=${config.schedule} is not cosine, linear or constant`);
  return config;
}

export function targetRules(targets: string | string[] | undefined): string | string[] {
  if (targets === undefined || Array.isArray(targets)) return targets ?? 'all-linear';
  return targets === 'all-linear' || /[*(|^$\\]/.test(targets) ? targets : targets.split(',');
}

/** Train an adapter. Throws an AbortError (the signal's reason) when cancelled, after saving a checkpoint. */
export async function finetune(o: FinetuneOptions = {}): Promise<FinetuneResult> {
  o.signal?.throwIfAborted();
  const builtin = o.model === undefined;
  const r = o.r ?? (builtin ? 16 : 64);
  const method = o.method ?? 'bone';
  const config = trainConfig(o, builtin);
  const log = o.onLog ?? (() => {});
  const store = o.checkpoint;
  const saved = o.resume ? await store?.get(CHECKPOINT_KEY) : null;
  if (o.resume && !saved) throw new OsteonError('finetune', `resume: no checkpoint in ${store ? store.name : 'any store (pass a checkpoint store)'}`);

  return withModel(o, async (opened, backend) => {
    opened.model.recompute = o.recompute ?? false;
    const eos = opened.eos ?? (builtin ? BUILTIN_EOS : undefined);
    const examples = await readExamples(o.data, opened.tokenizer, eos, opened.config.vocabSize);
    const { train, held } = splitHeldOut(examples, o.heldOut ?? 0.1, config.seed);
    const seqLen = o.seq ?? (builtin ? 64 : 256);
    const rows = toRows(train, seqLen, !o.noPack);
    const heldBatches = held.length ? toBatches(toRows(held, seqLen, false), config.batchSize) : [];
    const adapter = attachAdapter(opened.model, newPeftConfig(adapterConfig(o, r), targetRules(o.targets)), 'default', config.seed);
    const trainable = [...adapter.layers.values()].reduce((s, l) => s + Object.values(l.params).reduce((a, t) => a + t.size, 0), 0);
    const trainer = new Trainer(backend, opened.model, adapter, rows, config);
    try {
      if (saved) {
        restoreCheckpoint(trainer, saved, `${store!.name}/${CHECKPOINT_KEY}`);
        log(`resumed from ${store!.name} at step ${trainer.step}`);
      }
      log(`model: ${opened.source} (${opened.config.layers} layers, hidden ${opened.config.hidden}, vocab ${opened.config.vocabSize}) on ${backend.name}: ${backend.info.device}`);
      log(`adapter: ${method} r=${r} on ${adapter.layers.size} layers, ${trainable.toLocaleString('en-US')} trainable parameters`);
      log(`data: ${train.length} training examples -> ${rows.length} rows of ${seqLen} tokens; ${held.length} held out`);
      // Parameters, gradients and AdamW's two moments: four float32 copies of the adapter.
      o.onProgress?.({
        kind: 'start', model: opened.source, backend: backend.name, device: backend.info.device, method, r, layers: adapter.layers.size,
        trainable, adapterBytes: trainable * 16, rows: rows.length, heldOut: held.length, step: trainer.step, steps: config.steps,
      });

      const evals: [number, number][] = [];
      const runEval = async (): Promise<EvalResult | null> => {
        if (!heldBatches.length) return null;
        const e = await meanLoss(opened.model, heldBatches);
        evals.push([trainer.step, e.loss]);
        o.onProgress?.({ kind: 'eval', step: trainer.step, loss: e.loss, perplexity: e.perplexity });
        return e;
      };
      const saveCheckpoint = async () => {
        if (!store) return;
        await store.put(CHECKPOINT_KEY, await checkpointBytes(trainer));
        o.onProgress?.({ kind: 'checkpoint', step: trainer.step, store: store.name });
      };

      const checkpointEvery = o.checkpointEvery ?? 50;
      const started = performance.now(), firstStep = trainer.step;
      let tokens = 0;
      while (trainer.step < config.steps) {
        // Let messages and timers run between steps (a worker's cancel message, a terminal's Ctrl-C).
        await nextTask();
        if (o.signal?.aborted) {
          await saveCheckpoint();
          log(`cancelled at step ${trainer.step}${store ? `; checkpoint kept in ${store.name}` : ''}`);
          throw abortError(o.signal);
        }
        const s = await trainer.trainStep();
        tokens += s.tokens;
        const elapsed = (performance.now() - started) / 1000;
        o.onProgress?.({
          kind: 'step', step: s.step, steps: config.steps, loss: s.loss, lr: s.lr, gradNorm: s.gradNorm,
          tokensPerSecond: tokens / elapsed, elapsedSeconds: elapsed,
          etaSeconds: (elapsed / (trainer.step - firstStep)) * (config.steps - trainer.step),
        });
        if (o.evalEvery && trainer.step % o.evalEvery === 0 && trainer.step < config.steps) await runEval();
        if (checkpointEvery && trainer.step % checkpointEvery === 0) await saveCheckpoint();
      }
      await saveCheckpoint();
      const final = await runEval();
      const files = new Map(Object.entries(await saveAdapter(opened.model, adapter)));
      const svg = lossCurveSvg(`osteon ${method} r=${r}: loss`, [
        { name: 'train', color: '#1f77b4', points: trainer.history.map((h) => [h.step, h.loss]) },
        { name: 'held-out', color: '#d62728', points: evals },
      ]);
      const encode = (s: string) => new TextEncoder().encode(s);
      files.set('loss.svg', encode(svg));
      files.set('training_log.json', encode(JSON.stringify({ config, method, r, history: trainer.history, evals }, null, 2)));
      return {
        files, losses: trainer.history.map((h) => h.loss), heldOutLoss: final?.loss ?? null, heldOutPerplexity: final?.perplexity ?? null,
        history: [...trainer.history], evals, trainable, backend: backend.name, seconds: (performance.now() - started) / 1000,
      };
    } finally {
      trainer.dispose();
    }
  });
}
