// `npm run bench -- study [--quick] [--model DIR] [--out DIR] [--methods a,b] [--seeds N] [--render JSON]`: Bone, Bat, mini,
// LoRA (at about Bone's trainable parameters) and full fine-tuning of the built-in model, on two tasks
// (bench/study-tasks.ts), with the same step budget, each method at the learning rate a small sweep picks,
// over several seeds. Per method: held-out loss on the State of the Union, exact-match accuracy on held-out
// reversals, forgetting (the change of loss on text held out of the model's pretraining), seconds per step,
// peak tensor memory and trainable parameters, as mean and spread over seeds. Writes study.json and
// study.html (an SVG chart) to --out (default build/study) and prints a table. Everything runs on
// WebAssembly, one fresh backend per run, so memory peaks are the run's own.
// What it deliberately does not do: tune anything but the learning rate (every other setting is shared).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { evaluate, finetune, generate } from '../runtime/node.js';
import type { Method } from '../runtime/api/options.js';
import type { Backend } from '../runtime/backend.js';
import { createBackend } from '../runtime/select.js';
import { BUILTIN_DATA, BUILTIN_EVAL_DATA, BUILTIN_FOLDER } from '../runtime/builtin/builtin.js';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { parseModelConfig } from '../runtime/model/config.js';
import { corpus } from '../pretrain/corpus.js';
import { EOS_TOKEN, heldOutRows, splitCorpus } from '../pretrain/recipe.js';
import { trackTensorBytes } from './workloads.js';
import { answerOf, reverseTask } from './study-tasks.js';
import { loraRankFor, renderStudy, summarise, type RunRow, type StudyMethod } from './study-report.js';

interface Settings { steps: number; sweepSteps: number; batch: number; seq: number; reverseSeq: number; seeds: number[]; forgetRows: number; reverse: [number, number] }
const FULL: Settings = { steps: 80, sweepSteps: 40, batch: 8, seq: 128, reverseSeq: 48, seeds: [1, 2, 3], forgetRows: 32, reverse: [800, 50] };
const QUICK: Settings = { steps: 3, sweepSteps: 0, batch: 2, seq: 32, reverseSeq: 32, seeds: [1], forgetRows: 4, reverse: [40, 4] };

/** Learning rates tried per method: adapters start at zero and move freely; full fine-tuning moves every
 *  pretrained weight, so it gets values ten times lower. A choice at the edge of its grid is reported. */
const SWEEP: Record<string, number[]> = { adapter: [1e-3, 3e-3, 1e-2, 3e-2], full: [1e-4, 3e-4, 1e-3, 3e-3] };

export async function run(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false }, model: { type: 'string' }, out: { type: 'string', default: 'build/study' },
      methods: { type: 'string' }, seeds: { type: 'string' }, render: { type: 'string' },
    },
  });
  if (o.render) { // draw the page again from a study.json
    writeFileSync(join(dirname(o.render), 'study.html'), renderStudy(JSON.parse(readFileSync(o.render, 'utf8'))));
    return;
  }
  const s = o.quick ? QUICK : FULL;
  const seeds = o.seeds ? s.seeds.slice(0, Number(o.seeds)) : s.seeds;
  const modelDir = o.model ?? fileURLToPath(BUILTIN_FOLDER);
  const config = parseModelConfig(JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')));
  const tok = Tokenizer.fromJSON(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8'));
  const pretrainRows = heldOutRows(tok, splitCorpus(corpus()).held, tok.tokenToId(EOS_TOKEN)!).slice(0, s.forgetRows);
  const reverse = reverseTask(...s.reverse, 7);
  const r = 16;
  const methods: StudyMethod[] = [
    { name: 'bone', method: 'bone', r },
    { name: 'bat', method: 'bat', r },
    { name: 'mini', method: 'mini', r, miniR: r },
    { name: 'lora', method: 'lora', r: loraRankFor(config, r) },
    { name: 'full', method: 'full', r },
  ].filter((m) => !o.methods || o.methods.split(',').includes(m.name)) as StudyMethod[];
  const log = (line: string) => process.stderr.write(`${line}\n`);

  /** One fine-tuning run on its own fresh backend, with what it changed measured after. */
  const once = (m: StudyMethod, task: 'sotu' | 'reverse', lr: number, seed: number, steps: number): Promise<RunRow> => withBackend(async (backend) => {
    const peak = trackTensorBytes(backend);
    let lastStep = { elapsed: 0, steps: 0 };
    const result = await finetune({
      model: modelDir, backend, method: m.method as Method, r: m.r, miniR: m.miniR, lr, seed, steps, batch: s.batch,
      warmup: Math.min(10, steps), checkpointEvery: 0,
      ...(task === 'sotu'
        ? { data: BUILTIN_DATA, evalData: BUILTIN_EVAL_DATA, seq: s.seq, evalBefore: baseSotu === null }
        : { data: reverse.train, heldOut: 0, seq: s.reverseSeq }),
      onProgress: (e) => { if (e.kind === 'step') lastStep = { elapsed: e.elapsedSeconds, steps: e.step }; },
    });
    baseSotu ??= result.heldOutBefore?.loss ?? null;
    const tuned = result.files.has('adapter_model.safetensors') ? { model: modelDir, adapter: result.files } : { model: result.files };
    const forget = await evaluate({ ...tuned, data: pretrainRows, backend });
    let exact: number | null = null;
    if (task === 'reverse') {
      let right = 0;
      for (const q of reverse.test) {
        let text = '';
        for await (const piece of generate({ ...tuned, prompt: q.prompt, maxNewTokens: 8, temperature: 0, backend })) text += piece;
        right += +(answerOf(text) === q.answer);
      }
      exact = right / reverse.test.length;
    }
    return {
      method: m.name, task, lr, seed, steps, heldOutLoss: result.heldOutLoss, exact, forgetLoss: forget.loss,
      secondsPerStep: lastStep.elapsed / Math.max(1, lastStep.steps), peakTensorBytes: peak(), trainable: result.trainable,
    };
  });

  const started = performance.now();
  const base = await withBackend((backend) => evaluate({ model: modelDir, data: pretrainRows, backend }));
  log(`base model: pretraining held-out loss ${base.loss.toFixed(4)}`);
  let baseSotu: number | null = null;

  const sweep: RunRow[] = [];
  const chosen = new Map<string, number>();
  for (const m of methods) {
    const grid = SWEEP[m.method === 'full' ? 'full' : 'adapter'];
    if (!s.sweepSteps) { chosen.set(m.name, grid[1]); continue; }
    for (const lr of grid) {
      try {
        const row = await once(m, 'sotu', lr, seeds[0], s.sweepSteps);
        sweep.push(row);
        log(`sweep ${m.name} lr ${lr}: held-out loss ${row.heldOutLoss?.toFixed(4)}`);
      } catch (e) {
        // Too high a rate diverges (finetune stops it): that rate is simply not chosen.
        log(`sweep ${m.name} lr ${lr}: ${(e as Error).message.split(';')[0]}`);
      }
    }
    const best = sweep.filter((x) => x.method === m.name).sort((a, b) => (a.heldOutLoss ?? Infinity) - (b.heldOutLoss ?? Infinity))[0];
    chosen.set(m.name, best.lr);
    if (best.lr === grid[0] || best.lr === grid[grid.length - 1]) log(`note: ${m.name}'s best learning rate ${best.lr} is at the edge of its grid`);
  }

  const runs: RunRow[] = [];
  for (const m of methods) {
    for (const task of ['sotu', 'reverse'] as const) {
      for (const seed of seeds) {
        const row = await once(m, task, chosen.get(m.name)!, seed, s.steps);
        runs.push(row);
        log(`${m.name} ${task} seed ${seed}: ${task === 'sotu' ? `held-out loss ${row.heldOutLoss?.toFixed(4)}` : `exact match ${(100 * row.exact!).toFixed(1)}%`}, ` +
          `forgetting ${(row.forgetLoss - base.loss).toFixed(4)}, ${row.secondsPerStep.toFixed(3)} s/step`);
      }
    }
  }

  const summary = summarise(methods, runs, base.loss);
  const study = {
    schema: 'osteon-study/1', date: new Date().toISOString(), model: o.model ?? 'built-in', parameters: config.raw, backend: 'wasm',
    settings: { ...s, seeds, sweep: SWEEP, chosen: Object.fromEntries(chosen), reverseWords: 'bench/study-tasks.ts WORDS' },
    base: { pretrainHeldOutLoss: base.loss, sotuHeldOutLoss: baseSotu }, methods, sweep, runs, summary,
    seconds: (performance.now() - started) / 1000,
  };
  mkdirSync(o.out!, { recursive: true });
  writeFileSync(join(o.out!, 'study.json'), `${JSON.stringify(study, null, 1)}\n`);
  writeFileSync(join(o.out!, 'study.html'), renderStudy(study));
  const pm = (m: { mean: number; spread: number }, digits: number, scale = 1) => `${(m.mean * scale).toFixed(digits)} ± ${(m.spread * scale).toFixed(digits)}`;
  console.log('| method | lr | trainable | SOTU held-out loss | reverse exact match % | forgetting (Δ loss) | s/step | peak MiB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of summary) {
    console.log(`| ${x.method} | ${chosen.get(x.method)} | ${x.trainable.toLocaleString('en-US')} | ${pm(x.heldOutLoss, 4)} | ${pm(x.exact, 1, 100)} | ` +
      `${pm(x.forgetting, 4)} | ${pm(x.secondsPerStep, 3)} | ${(x.peakTensorBytes / 2 ** 20).toFixed(1)} |`);
  }
  log(`wrote ${join(o.out!, 'study.json')} and study.html in ${((performance.now() - started) / 60000).toFixed(1)} min`);
}

async function withBackend<T>(job: (b: Backend) => Promise<T>): Promise<T> {
  const backend = await createBackend({ backend: 'wasm' });
  try {
    return await job(backend);
  } finally {
    backend.destroy();
  }
}
