// finetune(): train a Bone, Bat, mini or LoRA adapter on a model and data, or every weight of the model (full
// fine-tuning), the same call in Node and in a page (the CLI's `osteon finetune` and the web page are thin
// shells over it). It reports progress per step,
// stops at an AbortSignal between steps (keeping a checkpoint), checkpoints into a key-value store every
// `checkpointEvery` steps, resumes from it, and returns the adapter in PEFT's layout with its loss curve and
// training log as files (a full run: the whole model as a Hugging Face folder), ready to write to a folder,
// OPFS or a download.
import type { AdapterConfig } from '../adapters/config.js';
import { type DeviceCounters, countersBetween } from '../backend.js';
import { saveAdapter, attachAdapter } from '../peft/adapter.js';
import { newPeftConfig } from '../peft/config.js';
import { BUILTIN_EVAL_DATA } from '../builtin/builtin.js';
import { splitHeldOut, toBatches, toRows } from '../train/data.js';
import { DEFAULT_TRAIN, type EvalResult, type StepLog, type TrainConfig, Trainer, evaluate as meanLoss, fullTrainables } from '../train/trainer.js';
import { checkpointBytes, readCheckpoint, restoreCheckpoint } from '../train/checkpoint.js';
import { OsteonError } from '../errors.js';
import { checkTrainingFits } from '../model/fits.js';
import { METHODS, type Method, checkFinetuneOptions, optionName } from './options.js';
import { modelFolderFiles } from './merge.js';
import { type RunOptions, type RunRecord, checkResumeInputs, dataFingerprint, modelFingerprint, resumeOptions } from './run-record.js';
import { lossCurveSvg } from '../train/plot.js';
import type { ScheduleKind } from '../train/schedule.js';
import { type BackendOption, withModel } from './open.js';
import { readExamples } from './examples.js';
import type { DataSource, FolderSource } from './sources.js';
import type { CheckpointStore } from './store.js';
import { abortError, nextTask } from './tasks.js';

export { METHODS, type Method };
export const CHECKPOINT_KEY = 'checkpoint.safetensors';

/** Every `osteon finetune` flag, camelCased; anything left out takes the CLI's default. */
export interface FinetuneOptions {
  /** A model folder (default: the built-in model). */
  model?: FolderSource;
  /** JSONL or text data (default: the built-in task, State of the Union addresses, evaluated on three whole
   *  addresses kept apart). */
  data?: DataSource;
  /** An adapter variant, or `full`: every weight trained (written as a whole model folder). */
  method?: Method;
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
  /** Fraction (< 1) or count of examples kept out for evaluation (default 0.1; ignored with evalData). */
  heldOut?: number;
  /** Evaluation data kept apart by the caller (a validation file): then every example of `data` trains. */
  evalData?: DataSource;
  evalEvery?: number;
  /** Also evaluate before the first step (the model as it was: adapters start as the identity). */
  evalBefore?: boolean;
  checkpointEvery?: number;
  noPack?: boolean;
  recompute?: boolean;
  /** Continue from the checkpoint in `checkpoint`: options left out take the checkpoint's values; another
   *  value, other data or another model is refused (runtime/api/run-record.ts), except a larger `steps`. */
  resume?: boolean;
  seed?: number;
  backend?: BackendOption;
  /** Keep frozen weight matrices in float16 where the backend can; default: on WebGPU with shader-f16, and on
   *  WebAssembly for checkpoints stored in BF16/F16 (runtime/model/fits.ts `halfByDefault`). */
  halfWeights?: boolean;
  checkpoint?: CheckpointStore;
  signal?: AbortSignal;
  onProgress?: (event: FinetuneEvent) => void;
  /** Put the device traffic of each step (dispatches, submits, buffers created, bytes each way) into its
   *  progress event, where the backend counts it (WebGPU). */
  countDevice?: boolean;
  /** One line of text per notable moment (what was loaded, resumed, written). */
  onLog?: (line: string) => void;
}

export type FinetuneEvent =
  | { kind: 'start'; model: string; backend: string; device: string; method: Method; r: number; layers: number;
      trainable: number; adapterBytes: number; rows: number; heldOut: number; step: number; steps: number }
  | { kind: 'step'; step: number; steps: number; loss: number; lr: number; gradNorm: number; tokensPerSecond: number;
      elapsedSeconds: number; etaSeconds: number; counters?: DeviceCounters | null }
  | { kind: 'eval'; step: number; loss: number; perplexity: number }
  | { kind: 'checkpoint'; step: number; store: string };

export interface FinetuneResult {
  /** adapter_config.json, adapter_model.safetensors (PEFT's layout), loss.svg, training_log.json; for a full
   *  run config.json, model.safetensors and the tokenizer files instead of the adapter's two. */
  files: Map<string, Uint8Array>;
  /** Training loss per step (from step 1, including steps before a resume). */
  losses: number[];
  heldOutLoss: number | null;
  /** The held-out loss and perplexity before training (with evalBefore, on a run that starts at step 0). */
  heldOutBefore: EvalResult | null;
  heldOutPerplexity: number | null;
  history: StepLog[];
  /** [step, held-out loss] at every evaluation. */
  evals: [number, number][];
  trainable: number;
  backend: string;
  seconds: number;
}

export function adapterConfig(run: RunOptions): AdapterConfig {
  const { r, dropout } = run;
  if (run.method === 'full') throw new Error('[finetune] full fine-tuning has no adapter configuration');
  if (run.method === 'lora') return { variant: 'lora', r, alpha: run.alpha, dropout };
  if (run.method === 'mini') return { variant: 'mini', r, miniR: run.miniR, dropout };
  if (run.method === 'bat') return { variant: 'bat', r };
  return { variant: 'bone', r, dropout };
}

/** The built-in task's settings where they differ from the defaults for any model: a small model trains in
 *  minutes on a CPU with a narrower block, shorter rows and a higher learning rate. */
export const BUILTIN_RUN = { r: 16, steps: 200, batch: 8, seq: 128, lr: 2e-3 };

/** Every option that defines the run, defaults filled in (some differ for the built-in model). */
export function resolveRun(o: FinetuneOptions, builtin: boolean): RunOptions {
  const r = o.r ?? (builtin ? BUILTIN_RUN.r : 64);
  return {
    method: o.method ?? 'bone', r, miniR: o.miniR ?? 1, alpha: o.alpha ?? 2 * r, dropout: o.dropout ?? 0,
    targets: targetRules(o.targets), steps: o.steps ?? (builtin ? BUILTIN_RUN.steps : DEFAULT_TRAIN.steps),
    batch: o.batch ?? (builtin ? BUILTIN_RUN.batch : DEFAULT_TRAIN.batchSize),
    seq: o.seq ?? (builtin ? BUILTIN_RUN.seq : 256), accum: o.accum ?? 1, lr: o.lr ?? (builtin ? BUILTIN_RUN.lr : DEFAULT_TRAIN.lr),
    schedule: o.schedule ?? DEFAULT_TRAIN.schedule, warmup: o.warmup ?? DEFAULT_TRAIN.warmup, weightDecay: o.weightDecay ?? 0,
    maxGradNorm: o.maxGradNorm ?? 1, heldOut: o.heldOut ?? 0.1, noPack: o.noPack ?? false, seed: o.seed ?? DEFAULT_TRAIN.seed,
  };
}

function trainConfig(run: RunOptions): TrainConfig {
  return {
    ...DEFAULT_TRAIN, steps: run.steps, batchSize: run.batch, gradAccum: run.accum, lr: run.lr, schedule: run.schedule as ScheduleKind,
    warmup: run.warmup, weightDecay: run.weightDecay, maxGradNorm: run.maxGradNorm, seed: run.seed,
  };
}

function targetRules(targets: string | string[] | undefined): string | string[] {
  if (targets === undefined || Array.isArray(targets)) return targets ?? 'all-linear';
  return targets === 'all-linear' || /[*(|^$\\]/.test(targets) ? targets : targets.split(',');
}

/** The same error with `note` added (where the last checkpoint is), typed whatever it was. */
function withNote(e: unknown, note: string): unknown {
  if ((e as Error)?.name === 'AbortError' || !(e instanceof Error)) return e;
  const typed = e instanceof OsteonError ? e : null;
  const m = typed ? null : /^\[([^\]]+)\] ([\s\S]*)$/.exec(e.message);
  const component = typed?.component ?? m?.[1] ?? 'finetune';
  const text = typed ? e.message.slice(component.length + 3) : m?.[2] ?? e.message;
  const out = new OsteonError(component, `${text}${note}`, typed?.file);
  out.cause = e;
  return out;
}

/** A loss this far above the first step's (times, and nats beyond) means training diverged. */
const DIVERGED_LOSS_RATIO = 2, DIVERGED_LOSS_MARGIN = 3;
/** An adapter value beyond this means training diverged (trained adapter values stay near 1 or below). */
const DIVERGED_ADAPTER_VALUE = 1e4;

/** Train an adapter. Throws an AbortError (the signal's reason) when cancelled, after saving a checkpoint. */
export async function finetune(o: FinetuneOptions = {}): Promise<FinetuneResult> {
  o.signal?.throwIfAborted();
  checkFinetuneOptions(o as Record<string, unknown>);
  const builtin = o.model === undefined;
  const log = o.onLog ?? (() => {});
  const store = o.checkpoint;
  const where = `${store?.name ?? 'memory'}/${CHECKPOINT_KEY}`;
  const bytes = o.resume ? await store?.get(CHECKPOINT_KEY) : null;
  if (o.resume && !bytes) {
    throw new OsteonError('resume', `no checkpoint to resume from in ${store ? store.name : 'any store (pass a checkpoint store)'}; start without resume (--resume)`);
  }
  const saved = bytes ? readCheckpoint(bytes, where) : null;
  const recorded = saved?.run as RunRecord | undefined;
  let given = o;
  if (recorded) {
    const resumed = resumeOptions(o, recorded.options, where);
    given = resumed.options;
    resumed.notes.forEach(log);
  } else if (saved) log(`${where} does not record its run's options (an older checkpoint); they are not compared`);
  const run = resolveRun(given, builtin);
  if (saved && saved.state.step > run.steps) {
    throw new OsteonError('resume', `${where} is at step ${saved.state.step}, past ${optionName('steps')}=${run.steps}; pass a larger --steps, or leave it out`);
  }
  const config = trainConfig(run);

  const full = run.method === 'full';
  // Trained weights are float32: a full run loads them so.
  return withModel(full ? { ...o, halfWeights: false } : o, async (opened, backend) => {
    checkTrainingFits(opened.config, backend, { batch: run.batch, seq: run.seq, recompute: o.recompute ?? false, full }, `${opened.source}/config.json`);
    opened.model.recompute = o.recompute ?? false;
    const eos = opened.eos;
    const examples = await readExamples(o.data, opened.tokenizer, eos, opened.config.vocabSize);
    // The built-in task evaluates on its own held-out addresses.
    const evalData = o.evalData ?? (builtin && o.data === undefined && o.heldOut === undefined ? BUILTIN_EVAL_DATA : undefined);
    const evalExamples = evalData === undefined ? null : await readExamples(evalData, opened.tokenizer, eos, opened.config.vocabSize);
    const record: RunRecord = {
      options: run, data: dataFingerprint(evalExamples ? [...examples, ...evalExamples] : examples), model: modelFingerprint(opened.config.raw),
    };
    if (recorded) checkResumeInputs(recorded, record.data, record.model, where);
    const { train, held } = evalExamples ? { train: examples, held: evalExamples } : splitHeldOut(examples, run.heldOut, config.seed);
    const rows = toRows(train, run.seq, !run.noPack);
    const heldBatches = held.length ? toBatches(toRows(held, run.seq, false), config.batchSize) : [];
    const adapter = full ? null : attachAdapter(opened.model, newPeftConfig(adapterConfig(run), run.targets), 'default', config.seed);
    const trainer = new Trainer(backend, opened.model, adapter ?? fullTrainables(opened.model), rows, config);
    const trainable = trainer.tensors.reduce((s, t) => s + t.param.size, 0);
    const { method, r } = run;
    const layers = adapter ? adapter.layers.size : opened.model.linears.size;
    try {
      if (saved) {
        restoreCheckpoint(trainer, saved, where);
        log(`resumed from ${store!.name} at step ${trainer.step}`);
      }
      log(`model: ${opened.source} (${opened.config.layers} layers, hidden ${opened.config.hidden}, vocab ${opened.config.vocabSize}) on ${backend.name}: ${backend.info.device}`);
      log(adapter ? `adapter: ${method} r=${r} on ${layers} layers, ${trainable.toLocaleString('en-US')} trainable parameters`
        : `full fine-tuning: every weight, ${trainable.toLocaleString('en-US')} trainable parameters`);
      log(`data: ${train.length} training examples -> ${rows.length} rows of ${run.seq} tokens; ${held.length} held out`);
      // Parameters, gradients and AdamW's two moments: four float32 copies of what is trained.
      o.onProgress?.({
        kind: 'start', model: opened.source, backend: backend.name, device: backend.info.device, method: method as Method, r, layers,
        trainable, adapterBytes: trainable * 16, rows: rows.length, heldOut: held.length, step: trainer.step, steps: config.steps,
      });

      let lastGood = saved ? trainer.step : null;
      const kept = () => (lastGood === null ? '; no checkpoint was written yet' : `; the last good checkpoint (step ${lastGood}) is kept in ${where}`);
      const resumeNote = () => (lastGood === null ? kept() : `${kept()}: continue with --resume (on this or another backend)`);
      const diverged = (step: number, why: string) => new OsteonError('train', `training diverged at step ${step}: ${why}; the learning rate ` +
        `${optionName('lr')}=${config.lr} is too high for this model and data: try ${(config.lr / 10).toPrecision(2)} or lower (adapters usually ` +
        `train with 1e-5 to 1e-2). The adapter was not written${kept()}`);
      const checkAdapterValues = async () => {
        let most = 0;
        for (const t of trainer.tensors) for (const v of await backend.read(t.param)) most = Math.max(most, Math.abs(v));
        if (!(most <= DIVERGED_ADAPTER_VALUE)) throw diverged(trainer.step, `adapter values reach ${most.toExponential(2)} (trained ones stay near 1)`);
      };

      const evals: [number, number][] = [];
      const runEval = async (): Promise<EvalResult | null> => {
        if (!heldBatches.length) return null;
        const e = await meanLoss(opened.model, heldBatches);
        evals.push([trainer.step, e.loss]);
        o.onProgress?.({ kind: 'eval', step: trainer.step, loss: e.loss, perplexity: e.perplexity });
        return e;
      };
      const saveCheckpoint = async () => {
        if (!store || lastGood === trainer.step) return;
        await checkAdapterValues();
        try {
          await store.put(CHECKPOINT_KEY, await checkpointBytes(trainer, record));
        } catch (e) {
          throw new OsteonError('checkpoint', `could not write the checkpoint of step ${trainer.step} to ${where} (${(e as Error).message})` +
            `${kept()}; free space or fix the folder's permissions, then continue with --resume`, where);
        }
        lastGood = trainer.step;
        o.onProgress?.({ kind: 'checkpoint', step: trainer.step, store: store.name });
      };

      let before: EvalResult | null = null;
      if (o.evalBefore && trainer.step === 0) {
        try {
          before = await runEval();
        } catch (e) {
          throw withNote(e, '');
        }
      }
      const checkpointEvery = o.checkpointEvery ?? 50;
      const evalDue = (step: number) => !!o.evalEvery && step % o.evalEvery === 0 && step < config.steps;
      const checkpointDue = (step: number) => !!checkpointEvery && step % checkpointEvery === 0;
      const noted = async <T>(work: () => Promise<T>): Promise<T> => {
        try {
          return await work();
        } catch (e) {
          throw withNote(e, resumeNote());
        }
      };
      const cancel = async (): Promise<never> => {
        await saveCheckpoint();
        log(`cancelled at step ${trainer.step}${store ? `; checkpoint kept in ${store.name}` : ''}`);
        throw abortError(o.signal!);
      };
      if (o.signal?.aborted) await cancel();
      const started = performance.now(), firstStep = trainer.step;
      let tokens = 0;
      let counted = o.countDevice ? backend.counters() : null;
      // Each step is queued while the last one's numbers travel back, except where the parameters must be
      // seen as a step leaves them: before an evaluation, a checkpoint or a cancellation.
      const steps = trainer.run(config.steps, (step) => evalDue(step) || checkpointDue(step) || !!o.signal?.aborted);
      try {
        for (;;) {
          const next = await noted(() => steps.next());
          if (next.done) break;
          const s = next.value;
          const counters = counted ? countersBetween(counted, (counted = backend.counters())) : undefined;
          const first = trainer.history[0].loss;
          if (s.loss > Math.max(DIVERGED_LOSS_RATIO * first, first + DIVERGED_LOSS_MARGIN)) {
            throw diverged(s.step, `the loss ${s.loss.toFixed(4)} is far above the ${first.toFixed(4)} it started at`);
          }
          tokens += s.tokens;
          const elapsed = (performance.now() - started) / 1000;
          o.onProgress?.({
            kind: 'step', step: s.step, steps: config.steps, loss: s.loss, lr: s.lr, gradNorm: s.gradNorm,
            tokensPerSecond: tokens / elapsed, elapsedSeconds: elapsed,
            etaSeconds: (elapsed / (s.step - firstStep)) * (config.steps - s.step), counters,
          });
          if (evalDue(s.step)) await noted(runEval);
          if (checkpointDue(s.step)) await saveCheckpoint();
          // Let messages and timers run between steps (a worker's cancel message, a terminal's Ctrl-C). A step
          // already queued still runs on the device: it is reported and kept before the run stops.
          await nextTask();
          if (o.signal?.aborted && trainer.step === s.step) break;
        }
      } finally {
        await steps.return(undefined); // waits for a step still in flight: what is saved next includes it
      }
      if (o.signal?.aborted) await cancel();
      await saveCheckpoint();
      await checkAdapterValues();
      let final: EvalResult | null;
      try {
        final = await runEval();
      } catch (e) {
        throw withNote(e, resumeNote());
      }
      const files = adapter ? new Map(Object.entries(await saveAdapter(opened.model, adapter))) : await modelFolderFiles(opened);
      const svg = lossCurveSvg(`osteon ${full ? 'full fine-tuning' : `${method} r=${r}`}: loss`, [
        { name: 'train', color: '#1f77b4', points: trainer.history.map((h) => [h.step, h.loss]) },
        { name: 'held-out', color: '#d62728', points: evals },
      ]);
      const encode = (s: string) => new TextEncoder().encode(s);
      files.set('loss.svg', encode(svg));
      files.set('training_log.json', encode(JSON.stringify({ config, method, r, history: trainer.history, evals }, null, 2)));
      return {
        files, losses: trainer.history.map((h) => h.loss), heldOutLoss: final?.loss ?? null, heldOutPerplexity: final?.perplexity ?? null, heldOutBefore: before,
        history: [...trainer.history], evals, trainable, backend: backend.name, seconds: (performance.now() - started) / 1000,
      };
    } finally {
      trainer.dispose();
    }
  });
}
