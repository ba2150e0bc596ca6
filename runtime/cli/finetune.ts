// `osteon finetune`: train an adapter on a model folder (default: the built-in model and data), write it
// in PEFT's layout with its loss curve, checkpointing as it goes (resumable with --resume).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AdapterConfig, Variant } from '../adapters/config.js';
import { attachAdapter, saveAdapter } from '../peft/adapter.js';
import { newPeftConfig } from '../peft/config.js';
import { writeFileAtomic, writeFiles } from '../model/node-files.js';
import { BUILTIN_DATA } from '../builtin/data.js';
import { BUILTIN_EOS } from '../builtin/tokenizer.js';
import { type Example, type DataTokenizer, examplesFromJsonl, examplesFromText, exampleFromRow, splitHeldOut, toBatches, toRows } from '../train/data.js';
import { DEFAULT_TRAIN, type TrainConfig, Trainer, evaluate } from '../train/trainer.js';
import { checkpointBytes, restoreCheckpoint } from '../train/checkpoint.js';
import { lossCurveSvg } from '../train/plot.js';
import { Progress, formatSeconds } from '../train/progress.js';
import type { ScheduleKind } from '../train/schedule.js';
import { openBackend, openModel } from './session.js';

export const FINETUNE_HELP = `osteon finetune [options]
  --model DIR            Hugging Face model folder (default: the built-in model)
  --data FILE            .jsonl (text | prompt+completion | messages | input_ids[+labels]) or .txt
                         (default: the built-in question-and-answer data)
  --out DIR              where the adapter, loss curve and checkpoint go (default: osteon-adapter)
  --method M             bone | bat | mini | lora (default: bone)
  -r, --rank N           block size / LoRA rank (default: 64; 16 for the built-in model)
  --mini-r N             mini's column count (default: 1)     --alpha N   LoRA alpha (default: 2r)
  --dropout P            input dropout of Bone, mini and LoRA while training (default: 0)
  --targets LIST         comma-separated module names, a regex, or all-linear (default: all-linear)
  --steps N (100; 300 built-in)  --batch N (4)  --seq N (256; 64 built-in)  --accum N (1)  --lr X (2e-4; 3e-3 built-in)
  --schedule cosine|linear|constant  --warmup N (10)  --weight-decay X (0)  --max-grad-norm X (1; 0 = off)
  --held-out X           fraction (< 1) or count of examples kept out for evaluation (default: 0.1)
  --eval-every N         evaluate the held-out set every N steps (default: at the end only)
  --checkpoint-every N   write a checkpoint every N steps (default: 50 and at the end)
  --no-pack              one example per row instead of packing examples into full rows
  --recompute            keep only each layer's input and recompute the layer in backward (less memory)
  --resume               continue from the checkpoint in --out
  --seed N (42)  --backend webgpu|wasm|reference
`;

const METHODS: Variant[] = ['bone', 'bat', 'mini', 'lora'];

function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`[finetune] --${name}=${v} is not a number`);
  return n;
}

function loadExamples(path: string | undefined, tok: DataTokenizer | null, eos: number | undefined, vocabSize: number): Example[] {
  if (!path) return BUILTIN_DATA.map((row, i) => exampleFromRow(row, tok, 'built-in data', i + 1, eos, vocabSize));
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`[data] ${file} does not exist`);
  const bytes = readFileSync(file);
  if (file.endsWith('.jsonl') || file.endsWith('.json')) return examplesFromJsonl(bytes, tok, file, eos, vocabSize);
  if (!tok) throw new Error(`[data] ${file} is plain text but the model folder has no tokenizer.json`);
  return examplesFromText(bytes, tok, file, vocabSize);
}

export async function finetuneCommand(args: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args,
    options: {
      model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string', default: 'osteon-adapter' },
      method: { type: 'string', default: 'bone' }, rank: { type: 'string', short: 'r' }, 'mini-r': { type: 'string' },
      alpha: { type: 'string' }, dropout: { type: 'string' }, targets: { type: 'string', default: 'all-linear' },
      steps: { type: 'string' }, batch: { type: 'string' }, seq: { type: 'string' }, accum: { type: 'string' },
      lr: { type: 'string' }, schedule: { type: 'string' }, warmup: { type: 'string' }, 'weight-decay': { type: 'string' },
      'max-grad-norm': { type: 'string' }, 'held-out': { type: 'string' }, 'eval-every': { type: 'string' },
      'checkpoint-every': { type: 'string' }, 'no-pack': { type: 'boolean', default: false },
      recompute: { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false }, seed: { type: 'string' }, backend: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) { process.stdout.write(FINETUNE_HELP); return 0; }
  const builtin = !o.model;
  const method = o.method as Variant;
  if (!METHODS.includes(method)) throw new Error(`[finetune] --method=${o.method} is not one of ${METHODS.join(', ')}`);
  const r = num(o.rank, 'rank', builtin ? 16 : 64);
  const dropout = num(o.dropout, 'dropout', 0);
  if (method === 'bat' && dropout > 0) throw new Error('[finetune] Bat has no input dropout (PEFT applies none either); drop --dropout');
  const adapterConfig: AdapterConfig = method === 'lora' ? { variant: 'lora', r, alpha: num(o.alpha, 'alpha', 2 * r), dropout }
    : method === 'mini' ? { variant: 'mini', r, miniR: num(o['mini-r'], 'mini-r', 1), dropout }
      : method === 'bat' ? { variant: 'bat', r } : { variant: 'bone', r, dropout };
  const seqLen = num(o.seq, 'seq', builtin ? 64 : 256);
  const config: TrainConfig = {
    ...DEFAULT_TRAIN,
    steps: num(o.steps, 'steps', builtin ? 300 : DEFAULT_TRAIN.steps), batchSize: num(o.batch, 'batch', DEFAULT_TRAIN.batchSize),
    gradAccum: num(o.accum, 'accum', 1), lr: num(o.lr, 'lr', builtin ? 3e-3 : DEFAULT_TRAIN.lr),
    schedule: (o.schedule ?? DEFAULT_TRAIN.schedule) as ScheduleKind, warmup: num(o.warmup, 'warmup', DEFAULT_TRAIN.warmup),
    weightDecay: num(o['weight-decay'], 'weight-decay', 0), maxGradNorm: num(o['max-grad-norm'], 'max-grad-norm', 1),
    seed: num(o.seed, 'seed', DEFAULT_TRAIN.seed),
  };
  if (!['cosine', 'linear', 'constant'].includes(config.schedule)) throw new Error(`[finetune] --schedule=${config.schedule} is not cosine, linear or constant`);
  const evalEvery = num(o['eval-every'], 'eval-every', 0);
  const checkpointEvery = num(o['checkpoint-every'], 'checkpoint-every', 50);
  const out = resolve(o.out!);
  const checkpointPath = join(out, 'checkpoint.safetensors');
  if (o.resume && !existsSync(checkpointPath)) throw new Error(`[finetune] --resume: no checkpoint at ${checkpointPath}`);
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const backend = await openBackend(o.backend);
  try {
    const opened = await openModel(backend, o.model);
    opened.model.recompute = o.recompute!;
    const eos = opened.eos ?? (builtin ? BUILTIN_EOS : undefined);
    const examples = loadExamples(o.data, opened.tokenizer, eos, opened.config.vocabSize);
    const { train, held } = splitHeldOut(examples, num(o['held-out'], 'held-out', 0.1), config.seed);
    const rows = toRows(train, seqLen, !o['no-pack']);
    const heldBatches = held.length ? toBatches(toRows(held, seqLen, false), config.batchSize) : [];
    const targets = o.targets === 'all-linear' || o.targets!.includes('*') || o.targets!.includes('(') ? o.targets! : o.targets!.split(',');
    const adapter = attachAdapter(opened.model, newPeftConfig(adapterConfig, targets), 'default', config.seed);
    const trainable = [...adapter.layers.values()].reduce((s, l) => s + Object.values(l.params).reduce((a, t) => a + t.size, 0), 0);
    log(`model: ${opened.source} (${opened.config.layers} layers, hidden ${opened.config.hidden}, vocab ${opened.config.vocabSize}) on ${backend.name}: ${backend.info.device}`);
    log(`adapter: ${method} r=${r} on ${adapter.layers.size} layers, ${trainable.toLocaleString('en-US')} trainable parameters`);
    log(`data: ${train.length} training examples -> ${rows.length} rows of ${seqLen} tokens; ${held.length} held out`);

    const trainer = new Trainer(backend, opened.model, adapter, rows, config);
    if (o.resume) {
      restoreCheckpoint(trainer, readFileSync(checkpointPath), checkpointPath);
      log(`resumed from ${checkpointPath} at step ${trainer.step}`);
    }
    mkdirSync(out, { recursive: true });
    const evals: [number, number][] = [];
    const runEval = async () => {
      if (!heldBatches.length) return null;
      const e = await evaluate(opened.model, heldBatches);
      evals.push([trainer.step, e.loss]);
      return e;
    };
    const saveCheckpoint = async () => writeFileAtomic(checkpointPath, await checkpointBytes(trainer));

    const progress = new Progress(config.steps, process.stderr);
    const started = performance.now();
    let tokens = 0;
    while (trainer.step < config.steps) {
      const s = await trainer.trainStep();
      tokens += s.tokens;
      const rate = tokens / ((performance.now() - started) / 1000);
      progress.update(trainer.step, `loss ${s.loss.toFixed(4)} lr ${s.lr.toExponential(1)} ${rate.toFixed(0)} tok/s`);
      if (evalEvery && trainer.step % evalEvery === 0 && trainer.step < config.steps) {
        const e = await runEval();
        if (e) log(`  step ${trainer.step}: held-out loss ${e.loss.toFixed(4)} (perplexity ${e.perplexity.toFixed(2)})`);
      }
      if (checkpointEvery && trainer.step % checkpointEvery === 0) await saveCheckpoint();
    }
    await saveCheckpoint();
    const final = await runEval();
    await writeFiles(out, await saveAdapter(opened.model, adapter));
    const svg = lossCurveSvg(`osteon ${method} r=${r}: loss`, [
      { name: 'train', color: '#1f77b4', points: trainer.history.map((h) => [h.step, h.loss]) },
      { name: 'held-out', color: '#d62728', points: evals },
    ]);
    await writeFileAtomic(join(out, 'loss.svg'), svg);
    await writeFileAtomic(join(out, 'training_log.json'), JSON.stringify({ config, method, r, history: trainer.history, evals }, null, 2));
    const first = trainer.history[0]?.loss, last = trainer.history[trainer.history.length - 1]?.loss;
    log(`done in ${formatSeconds((performance.now() - started) / 1000)}: loss ${first?.toFixed(4)} -> ${last?.toFixed(4)}` +
      (final ? `; held-out loss ${final.loss.toFixed(4)}, perplexity ${final.perplexity.toFixed(2)}` : ''));
    log(`wrote ${out}/adapter_config.json, adapter_model.safetensors (PEFT layout), loss.svg, checkpoint.safetensors`);
    trainer.dispose();
    return 0;
  } finally {
    backend.destroy();
  }
}
