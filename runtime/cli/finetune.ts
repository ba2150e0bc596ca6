// `osteon finetune`: the public finetune() (runtime/api/finetune.ts) with its options from flags, a progress
// bar on the terminal, checkpoints and the finished adapter in the --out folder. With no --model and no
// --data it runs the built-in task and shows what changed: the held-out loss and perplexity before and
// after, and a continuation of one prompt before and after (same seed).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Method } from '../api/options.js';
import { CHECKPOINT_KEY, type FinetuneEvent, type FinetuneOptions, finetune } from '../api/finetune.js';
import { generate } from '../api/generate.js';
import type { FolderSource } from '../api/sources.js';
import { BUILTIN_SAMPLE } from '../builtin/builtin.js';
import { claimOutFolder, folderStore, writeFiles } from '../model/node-files.js';
import { OsteonError } from '../errors.js';
import { estimateFinetune, formatEstimate } from '../api/estimate.js';
import { Progress, formatSeconds } from '../train/progress.js';
import type { ScheduleKind } from '../train/schedule.js';
import { backendFlag, numberFlag } from './args.js';
import type { DeviceCounters } from '../backend.js';

/** One step's device traffic in a line. */
export function formatCounters(c: DeviceCounters): string {
  return `${c.dispatches} dispatches, ${c.submits} submits, ${c.buffersCreated} buffers created, ` +
    `${c.bytesUploaded} bytes uploaded, ${c.bytesReadBack} bytes read back`;
}

export const FINETUNE_HELP = `osteon finetune [options]
  --model DIR            Hugging Face model folder (default: the built-in model, pretrained by osteon)
  --data FILE            .jsonl (text | prompt+completion | messages | input_ids[+labels]) or .txt
                         (default: the built-in task, State of the Union addresses, three held out)
  --out DIR              where the adapter, loss curve and checkpoint go (default: osteon-adapter)
  --method M             bone | bat | mini | lora, or full: every weight (default: bone)
  -r, --rank N           block size / LoRA rank (default: 64; 16 for the built-in model)
  --mini-r N             mini's column count (default: 1)     --alpha N   LoRA alpha (default: 2r)
  --dropout P            input dropout of Bone, mini and LoRA while training (default: 0)
  --targets LIST         comma-separated module names, a regex, or all-linear (default: all-linear)
  --steps N (100; 200 built-in)  --batch N (4; 8 built-in)  --seq N (256; 128 built-in)  --accum N (1)
  --lr X (2e-4; 2e-3 built-in)
  --schedule cosine|linear|constant  --warmup N (10)  --weight-decay X (0)  --max-grad-norm X (1; 0 = off)
  --held-out X           fraction (< 1) or count of examples kept out for evaluation (default: 0.1)
  --eval-data FILE       evaluate on this file instead (JSONL or .txt); every example of --data then trains
  --eval-every N         evaluate the held-out set every N steps (default: at the end only)
  --eval-before          evaluate it before the first step too (default: on for the built-in task)
  --sample PROMPT        print a continuation of PROMPT before and after training, same seed (default for
                         the built-in task: "${BUILTIN_SAMPLE.prompt}")
  --checkpoint-every N   write a checkpoint every N steps (default: 50 and at the end)
  --no-pack              one example per row instead of packing examples into full rows
  --recompute            keep only each layer's input and recompute the layer in backward (less memory)
  --no-half-weights      keep the frozen weights in float32 (default: float16 on WebGPU, and on wasm for BF16/F16 checkpoints)
  --resume               continue from the checkpoint in --out (flags left out take the checkpoint's values;
                         only a larger --steps may differ)
  --dry-run              print the memory estimate (weights, adapter, optimizer, activations per token) and whether
                         it fits the backend, from config.json alone, then stop (exit 1 if it does not fit)
  --seed N (42)  --backend webgpu|wasm|reference
  --verbose              after each step, the device traffic it caused (WebGPU: dispatches, submits, buffers
                         created, bytes uploaded and read back)
`;

export async function finetuneCommand(args: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args,
    options: {
      model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string', default: 'osteon-adapter' },
      method: { type: 'string' }, rank: { type: 'string', short: 'r' }, 'mini-r': { type: 'string' },
      alpha: { type: 'string' }, dropout: { type: 'string' }, targets: { type: 'string' },
      steps: { type: 'string' }, batch: { type: 'string' }, seq: { type: 'string' }, accum: { type: 'string' },
      lr: { type: 'string' }, schedule: { type: 'string' }, warmup: { type: 'string' }, 'weight-decay': { type: 'string' },
      'max-grad-norm': { type: 'string' }, 'held-out': { type: 'string' }, 'eval-data': { type: 'string' }, 'eval-every': { type: 'string' },
      'checkpoint-every': { type: 'string' }, 'no-pack': { type: 'boolean', default: false },
      recompute: { type: 'boolean', default: false }, 'no-half-weights': { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false }, seed: { type: 'string' }, backend: { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
      'eval-before': { type: 'boolean' }, sample: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) { process.stdout.write(FINETUNE_HELP); return 0; }
  const n = (name: keyof typeof o) => numberFlag(o[name] as string | undefined, name);
  if (o['dry-run']) {
    const estimate = await estimateFinetune({
      model: o.model, method: o.method as Method, r: n('rank'), miniR: n('mini-r'), alpha: n('alpha'), targets: o.targets,
      batch: n('batch'), seq: n('seq'), recompute: o.recompute, halfWeights: o['no-half-weights'] ? false : undefined,
      backend: backendFlag(o.backend),
    });
    process.stdout.write(`${formatEstimate(estimate).join('\n')}\n`);
    return estimate.fits ? 0 : 1;
  }
  const out = resolve(o.out!);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const builtinTask = o.model === undefined && o.data === undefined;
  const prompt = o.sample ?? (builtinTask ? BUILTIN_SAMPLE.prompt : undefined);
  const backend = backendFlag(o.backend);
  // The same prompt, seed and sampling before and after, so only the training differs.
  const sample = async (extra: Pick<FinetuneOptions, 'model'> & { adapter?: FolderSource }) => {
    let text = '';
    for await (const piece of generate({ ...BUILTIN_SAMPLE, prompt: prompt!, model: o.model, backend, ...extra })) text += piece;
    return `${prompt}${text}`.replace(/\s+/g, ' ').trim();
  };
  let progress: Progress | null = null;
  const onProgress = (e: FinetuneEvent) => {
    if (e.kind === 'start') progress = new Progress(e.steps, process.stderr, e.step);
    else if (e.kind === 'step') {
      progress?.update(e.step, `loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(1)} ${e.tokensPerSecond.toFixed(0)} tok/s`);
      if (e.counters) log(`  step ${e.step}: ${formatCounters(e.counters)}`);
    }
    else if (e.kind === 'eval' && e.step < (progress?.total ?? 0)) log(`  step ${e.step}: held-out loss ${e.loss.toFixed(4)} (perplexity ${e.perplexity.toFixed(2)})`);
  };
  // Ctrl-C stops between steps and keeps a checkpoint to --resume from.
  const cancel = new AbortController();
  const onSigint = () => cancel.abort(new Error(`[finetune] interrupted; continue with --resume --out ${out}`));
  process.once('SIGINT', onSigint);
  const folder = await claimOutFolder(out);
  folder.notes.forEach(log);
  try {
    const before = prompt === undefined ? null : await sample({});
    const run = await finetune({
      model: o.model, data: o.data, method: o.method as Method, r: n('rank'), miniR: n('mini-r'), alpha: n('alpha'),
      dropout: n('dropout'), targets: o.targets, steps: n('steps'), batch: n('batch'), seq: n('seq'), accum: n('accum'),
      lr: n('lr'), schedule: o.schedule as ScheduleKind | undefined, warmup: n('warmup'), weightDecay: n('weight-decay'),
      maxGradNorm: n('max-grad-norm'), heldOut: n('held-out'), evalData: o['eval-data'], evalEvery: n('eval-every'), checkpointEvery: n('checkpoint-every'),
      noPack: o['no-pack'], recompute: o.recompute, halfWeights: o['no-half-weights'] ? false : undefined, resume: o.resume, seed: n('seed'), backend,
      checkpoint: folderStore(out), signal: cancel.signal, onProgress, onLog: log, countDevice: o.verbose,
      evalBefore: o['eval-before'] ?? builtinTask,
    });
    try {
      await writeFiles(out, Object.fromEntries(run.files));
    } catch (e) {
      throw new OsteonError('output', `could not write the adapter to ${out} (${(e as Error).message}); the checkpoint of the last step is kept ` +
        `in ${out}/${CHECKPOINT_KEY}: free space or fix the folder's permissions, then run again with --resume to write the adapter`, out);
    }
    const first = run.losses[0], last = run.losses[run.losses.length - 1];
    log(`done in ${formatSeconds(run.seconds)}: loss ${first?.toFixed(4)} -> ${last?.toFixed(4)}` +
      (run.heldOutLoss !== null ? `; held-out loss ${run.heldOutLoss.toFixed(4)}, perplexity ${run.heldOutPerplexity!.toFixed(2)}` : ''));
    log(`wrote ${out}/${[...run.files.keys()].join(', ')}, ${CHECKPOINT_KEY}` +
      (run.files.has('adapter_model.safetensors') ? ' (PEFT layout)' : ' (a Hugging Face model folder)'));
    const b = run.heldOutBefore;
    if (b && run.heldOutLoss !== null) {
      log(`held-out loss ${b.loss.toFixed(4)} -> ${run.heldOutLoss.toFixed(4)}, perplexity ${b.perplexity.toFixed(2)} -> ${run.heldOutPerplexity!.toFixed(2)}`);
    }
    if (before !== null) {
      const after = await sample(run.files.has('adapter_model.safetensors') ? { adapter: run.files } : { model: run.files });
      log(`before: ${before}\nafter:  ${after}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    await folder.release();
  }
}
