// `npm run pretrain-builtin`: builds the built-in model from nothing but the npm corpora, with osteon
// itself: trains the tokenizer (runtime/tokenizer/train.ts), initialises a LLaMA model (pretrain/recipe.ts),
// pretrains every weight with finetune({ method: 'full' }) on WebAssembly, and writes the Hugging Face folder
// that ships as the built-in model (float16 weights), its loss curve and log beside it.
// Seeded throughout: the same command writes the same files. Checkpoints every 100 steps into the work
// folder, so an interrupted run continues with --resume and ends exactly as an uninterrupted one.
// Usage: node build/pretrain/main.mjs [--steps N] [--out DIR] [--work DIR] [--resume] [--backend wasm|webgpu]
//        [--eval-rows N] (evaluate on the first N held-out rows only: a quick check of the script)
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluate, finetune, folderStore, generate, writeFiles } from '../runtime/node.js';
import { parseModelConfig } from '../runtime/model/config.js';
import { initialWeights } from '../runtime/model/init.js';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { trainTokenizer } from '../runtime/tokenizer/train.js';
import { readSafetensors, toFloat16, toFloat32, writeSafetensors, type TensorToWrite } from '../runtime/safetensors.js';
import { Progress, formatSeconds } from '../runtime/train/progress.js';
import { lossCurveSvg } from '../runtime/train/plot.js';
import { corpus } from './corpus.js';
import { EOS_TOKEN, MODEL_CONFIG, PRETRAIN, TOKENIZER, documentRows, heldOutRows, splitCorpus } from './recipe.js';

/** The prompt and sampling of the sample continuation kept in the log. */
const SAMPLE = { prompt: 'And it came to pass, when the whale', maxNewTokens: 48, temperature: 0.8, topK: 40, seed: 7 };

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string' }, out: { type: 'string', default: 'builtin' }, work: { type: 'string', default: 'build/pretrain' },
    resume: { type: 'boolean', default: false }, backend: { type: 'string', default: 'wasm' }, 'eval-rows': { type: 'string' },
  },
});
const steps = args.steps === undefined ? PRETRAIN.steps : Number(args.steps);
const out = resolve(args.out!), work = resolve(args.work!), initDir = join(work, 'init');
const log = (s: string) => process.stderr.write(`${s}\n`);

/** A float32 model.safetensors as float16. */
function toHalfFile(bytes: Uint8Array): Uint8Array {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of readSafetensors(bytes).tensors) tensors[name] = { dtype: 'F16', shape: t.shape, data: Uint16Array.from(toFloat32(t), toFloat16) };
  return writeSafetensors(tensors, { format: 'pt' });
}

const started = performance.now();
const docs = corpus();
const { train, held } = splitCorpus(docs);
log(`corpus: ${docs.length} documents, ${train.length} for training, ${held.length} held out`);

const tokStart = performance.now();
const tokenizerJson = trainTokenizer(train.map((d) => d.text), TOKENIZER);
const tok = Tokenizer.fromJSON(tokenizerJson);
const eos = tok.tokenToId(EOS_TOKEN)!;
log(`tokenizer: ${TOKENIZER.vocabSize} tokens trained in ${formatSeconds((performance.now() - tokStart) / 1000)}`);

const tokenizerConfig = {
  tokenizer_class: 'PreTrainedTokenizerFast', bos_token: EOS_TOKEN, eos_token: EOS_TOKEN, unk_token: null,
  model_max_length: MODEL_CONFIG.max_position_embeddings, clean_up_tokenization_spaces: false, add_bos_token: false,
};
const generationConfig = { bos_token_id: eos, eos_token_id: eos, do_sample: true, temperature: SAMPLE.temperature, top_k: SAMPLE.topK };
const companions = {
  'tokenizer.json': tokenizerJson,
  'tokenizer_config.json': JSON.stringify(tokenizerConfig, null, 2),
  'generation_config.json': JSON.stringify(generationConfig, null, 2),
};
await mkdir(initDir, { recursive: true });
await writeFiles(initDir, {
  ...companions,
  'config.json': JSON.stringify(MODEL_CONFIG, null, 2),
  'model.safetensors': initialWeights(parseModelConfig(MODEL_CONFIG), PRETRAIN.seed),
});

const trainRows = documentRows(tok, train, eos), heldRows = heldOutRows(tok, held, eos).slice(0, args['eval-rows'] === undefined ? undefined : Number(args['eval-rows']));
const trainTokens = trainRows.reduce((s, r) => s + r.input_ids.length, 0);
log(`data: ${trainTokens.toLocaleString('en-US')} training tokens; ${heldRows.length} held-out rows`);

let progress: Progress | null = null;
const run = await finetune({
  model: initDir, data: trainRows, evalData: heldRows, method: 'full', backend: args.backend as 'wasm' | 'webgpu',
  steps, batch: PRETRAIN.batch, seq: PRETRAIN.seq, lr: PRETRAIN.lr, warmup: Math.min(PRETRAIN.warmup, steps), weightDecay: PRETRAIN.weightDecay,
  maxGradNorm: PRETRAIN.maxGradNorm, seed: PRETRAIN.seed, evalEvery: PRETRAIN.evalEvery, checkpointEvery: PRETRAIN.checkpointEvery,
  checkpoint: folderStore(work), resume: args.resume, onLog: log,
  onProgress: (e) => {
    if (e.kind === 'start') progress = new Progress(e.steps, process.stderr, e.step);
    else if (e.kind === 'step') progress?.update(e.step, `loss ${e.loss.toFixed(3)} ${e.tokensPerSecond.toFixed(0)} tok/s`);
    else if (e.kind === 'eval') log(`  step ${e.step}: held-out loss ${e.loss.toFixed(4)} (perplexity ${e.perplexity.toFixed(2)})`);
  },
});

const files: Record<string, Uint8Array | string> = {
  ...companions,
  'config.json': JSON.stringify({ ...MODEL_CONFIG, torch_dtype: 'float16' }, null, 2),
  'model.safetensors': toHalfFile(run.files.get('model.safetensors')!),
};
await mkdir(out, { recursive: true });
await writeFiles(out, files);
// What ships is float16: its own held-out loss and a sample, read back through the ordinary loader.
const shipped = await evaluate({ model: out, data: heldRows, backend: 'wasm' });
let sample = '';
for await (const piece of generate({ model: out, prompt: SAMPLE.prompt, maxNewTokens: SAMPLE.maxNewTokens, temperature: SAMPLE.temperature, topK: SAMPLE.topK, seed: SAMPLE.seed, backend: 'wasm' })) sample += piece;
const svg = lossCurveSvg('osteon built-in model: pretraining loss', [
  { name: 'train', color: '#1f77b4', points: run.history.map((h) => [h.step, h.loss]) },
  { name: 'held-out', color: '#d62728', points: run.evals },
]);
const record = {
  recipe: { tokenizer: TOKENIZER, model: MODEL_CONFIG, pretrain: { ...PRETRAIN, steps } },
  corpus: { documents: docs.length, train: train.length, heldOut: held.map((d) => d.name), trainTokens },
  parameters: run.trainable, seconds: run.seconds,
  heldOut: { float32: { loss: run.heldOutLoss, perplexity: run.heldOutPerplexity }, float16: shipped },
  sample: { ...SAMPLE, text: sample },
  history: run.history.map((h) => ({ step: h.step, loss: +h.loss.toFixed(5), lr: h.lr })), evals: run.evals,
};
await writeFile(join(out, 'pretrain_loss.svg'), svg);
await writeFile(join(out, 'pretrain_log.json'), `${JSON.stringify(record, null, 1)}\n`);
log(`held-out perplexity ${shipped.perplexity.toFixed(2)} (float16, as shipped); ${run.trainable.toLocaleString('en-US')} parameters`);
log(`sample: ${SAMPLE.prompt}${sample}`);
log(`wrote ${out} in ${formatSeconds((performance.now() - started) / 1000)}`);
