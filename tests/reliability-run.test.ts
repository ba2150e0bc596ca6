// The reliability of a fine-tuning run (issue 10, second half): every option checked before work with one
// message for the API and the CLI; a resume that would continue another run refused, naming each difference;
// the output folder created, locked and cleaned before training; a failing checkpoint write keeping the last
// good one; a diverging run stopped before the adapter is written; rows never past the model's context.
// Real files and real processes throughout (tests/reliability-kill.test.ts kills runs and loses devices).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_KEY, type FinetuneOptions, finetune } from '../runtime/api/finetune.js';
import { evaluate } from '../runtime/api/evaluate.js';
import { generate } from '../runtime/api/generate.js';
import { memoryStore } from '../runtime/api/store.js';
import { OsteonError } from '../runtime/errors.js';
import { LOCK_FILE, claimOutFolder, folderStore } from '../runtime/model/node-files.js';
import { toFloat32, writeSafetensors } from '../runtime/safetensors.js';
import { createBackend } from '../runtime/select.js';
import { readCheckpoint } from '../runtime/train/checkpoint.js';
import { FIXTURE_ROWS, fixturesDir } from './helpers.js';
import { TINY_TRAIN, tinyOnDisk } from './tiny-model.js';
import '../runtime/node.js';

const test = suite('reliability-run');
const cli = join(fixturesDir, '..', '..', 'dist', 'cli.js');
const modelDir = join(fixturesDir, 'llama-bone', 'model');
const rows = FIXTURE_ROWS;
const small: FinetuneOptions = { model: modelDir, data: rows, backend: 'wasm', steps: 6, batch: 2, seq: 16, r: 16, lr: 1e-2, warmup: 1, seed: 3, heldOut: 2 };
/** A model folder that does not exist: an option refused with it was refused before anything was read. */
const missingModel = join(fixturesDir, 'no-such-model');
const temp = (name: string) => mkdtempSync(join(tmpdir(), `osteon-${name}-`));
const osteon = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
/** `osteon finetune` on the tests' tiny model and data, on the reference backend. */
const finetuneTiny = () => ['finetune', '--backend', 'reference', '--model', tinyOnDisk().model, '--data', tinyOnDisk().data, '-r', String(TINY_TRAIN.r)];

/** The OsteonError `run` throws, of `component`, matching `pattern`. */
async function refused(run: () => Promise<unknown>, component: string, pattern: RegExp | string): Promise<OsteonError> {
  let error: unknown = null;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof OsteonError)) throw new Error(`expected [${component}] ${pattern}, got ${error === null ? 'success' : (error as Error).stack}`);
  assert.is(error.component, component, error.message);
  if (typeof pattern === 'string') assert.ok(error.message.includes(pattern), error.message);
  else assert.match(error.message, pattern);
  return error;
}

test('every option is checked before work, naming the option and its flag', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ steps: 2.5 }, 'steps (--steps)=2.5 must be a whole number >= 1'], [{ steps: 0 }, 'steps (--steps)=0'],
    [{ steps: -1 }, 'steps (--steps)=-1'], [{ batch: 0 }, 'batch (--batch)=0 must be a whole number >= 1'],
    [{ seq: 0 }, 'seq (--seq)=0 must be a whole number >= 2'], [{ seq: -1 }, 'seq (--seq)=-1'], [{ seq: 1 }, 'seq (--seq)=1'],
    [{ lr: -1 }, 'lr (--lr)=-1 must be a number > 0'], [{ lr: 0 }, 'lr (--lr)=0'], [{ lr: Infinity }, 'lr (--lr)=Infinity'],
    [{ lr: NaN }, 'lr (--lr)=NaN'], [{ lr: '' }, 'lr (--lr)=""'], [{ heldOut: 1.5 }, 'heldOut (--held-out)=1.5'],
    [{ heldOut: -0.1 }, 'heldOut (--held-out)=-0.1'], [{ accum: 0 }, 'accum (--accum)=0'], [{ warmup: 1.5 }, 'warmup (--warmup)=1.5'],
    [{ r: 0 }, 'r (-r/--rank)=0'], [{ r: 8.5 }, 'r (-r/--rank)=8.5'], [{ miniR: 0 }, 'miniR (--mini-r)=0'],
    [{ dropout: 1 }, 'dropout (--dropout)=1 must be a number >= 0 and < 1'], [{ alpha: 0 }, 'alpha (--alpha)=0'],
    [{ weightDecay: -1 }, 'weightDecay (--weight-decay)=-1'], [{ maxGradNorm: -1 }, 'maxGradNorm (--max-grad-norm)=-1'],
    [{ evalEvery: 0.5 }, 'evalEvery (--eval-every)=0.5'], [{ checkpointEvery: -2 }, 'checkpointEvery (--checkpoint-every)=-2'],
    [{ seed: 1.5 }, 'seed (--seed)=1.5'], [{ seed: 2 ** 32 }, 'seed (--seed)=4294967296'],
    [{ method: 'boneless' }, 'method (--method)="boneless" is not one of bone, bat, mini, lora'],
    [{ schedule: 'step' }, 'schedule (--schedule)="step" is not one of cosine, linear, constant'],
    [{ targets: '' }, 'targets (--targets)=""'], [{ targets: [] }, 'targets (--targets)=[]'],
    [{ method: 'bat', dropout: 0.1 }, 'Bat has no input dropout'], [{ recompute: 'yes' }, 'recompute="yes" must be true or false'],
  ];
  for (const [bad, message] of cases) {
    await refused(() => finetune({ ...small, model: missingModel, ...bad } as FinetuneOptions), 'finetune', message);
  }
});

test('generate: sampling options are checked before work in the same words', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ maxNewTokens: -1 }, 'maxNewTokens (--max-new-tokens)=-1 must be a whole number >= 1'], [{ maxNewTokens: 2.5 }, 'maxNewTokens (--max-new-tokens)=2.5'],
    [{ temperature: -1 }, 'temperature (--temperature)=-1 must be a number >= 0 (0 = greedy)'], [{ topK: 2.5 }, 'topK (--top-k)=2.5'],
    [{ topP: 2 }, 'topP (--top-p)=2 must be a number > 0 and <= 1 (1 = off)'], [{ topP: 0 }, 'topP (--top-p)=0'], [{ seed: -3 }, 'seed (--seed)=-3'],
  ];
  for (const [bad, message] of cases) {
    await refused(async () => { for await (const _ of generate({ model: missingModel, prompt: 'Q:', ...bad })) break; }, 'generate', message);
  }
  const r = osteon(['generate', '--backend', 'reference', '--model', tinyOnDisk().model, '--prompt', 'Q:', '--max-new-tokens', '-1']);
  assert.is(r.status, 1);
  assert.ok(r.stderr.includes('[generate] maxNewTokens (--max-new-tokens)=-1 must be a whole number >= 1'), r.stderr);
});

test('the CLI gives the same messages: negative numbers, empty values, fractions; unknown flags are typed too', () => {
  const out = temp('flags');
  for (const [args, message] of [
    [['--seq', '-1'], '[finetune] seq (--seq)=-1 must be a whole number >= 2'], [['--steps', '2.5'], '[finetune] steps (--steps)=2.5'],
    [['--lr', '-1'], '[finetune] lr (--lr)=-1 must be a number > 0'], [['--lr='], '[cli] --lr="" is not a number'],
    [['--batch', '0'], '[finetune] batch (--batch)=0'], [['--bogus', '3'], "[cli] Unknown option '--bogus'"],
  ] as [string[], string][]) {
    const r = osteon([...finetuneTiny(), ...args, '--out', out]);
    assert.is(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes(message), `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal(readdirSync(out), [], 'nothing written for refused flags');
});

test('sizes past the model or the backend are refused before any row is built; an empty OSTEON_BACKEND means automatic', async () => {
  await refused(() => finetune({ ...small, seq: 129 }), 'finetune', "seq (--seq)=129 is longer than the model's context (max_position_embeddings=128");
  const huge = await refused(() => finetune({ ...small, batch: 2 ** 20, seq: 128 }), 'finetune', /batch \(--batch\)=1048576 x seq \(--seq\)=128 needs about [\d.]+ [GT]iB of activations/);
  assert.match(huge.message, /--recompute, or the webgpu backend \(--backend webgpu\)/);
  const saved = process.env.OSTEON_BACKEND;
  process.env.OSTEON_BACKEND = '';
  try {
    (await createBackend()).destroy();
    process.env.OSTEON_BACKEND = 'cuda';
    await refused(() => createBackend(), 'backend', 'OSTEON_BACKEND="cuda" is not one of auto, webgpu, wasm, reference');
  } finally {
    if (saved === undefined) delete process.env.OSTEON_BACKEND;
    else process.env.OSTEON_BACKEND = saved;
  }
});

test('resume: left-out options come from the checkpoint; other options, data or model are refused by name; more steps is allowed', async () => {
  const whole = await finetune(small);
  const store = memoryStore('run');
  const cancel = new AbortController();
  await finetune({ ...small, checkpoint: store, signal: cancel.signal, onProgress: (e) => { if (e.kind === 'step' && e.step === 3) cancel.abort(); } })
    .catch((e: Error) => assert.is(e.name, 'AbortError'));
  // Only the sources and the backend: every option that defines the run comes from the checkpoint.
  const resumed = await finetune({ model: modelDir, data: rows, backend: 'reference', checkpoint: store, resume: true });
  assert.equal(resumed.losses.slice(0, 3), whole.losses.slice(0, 3));
  resumed.losses.forEach((l, i) => assert.ok(Math.abs(l - whole.losses[i]) < 1e-4 * whole.losses[i], `step ${i + 1}: ${l} vs ${whole.losses[i]}`));

  const e = await refused(() => finetune({ ...small, lr: 2e-2, seed: 4, batch: 1, checkpoint: store, resume: true }), 'resume',
    'run/checkpoint.safetensors was written by a run with other options: batch (--batch) is 2 there, 1 now; lr (--lr) is 0.01 there, 0.02 now; seed (--seed) is 3 there, 4 now');
  assert.match(e.message, /only a larger --steps may change/);
  await refused(() => finetune({ ...small, steps: 5, checkpoint: store, resume: true }), 'resume', 'steps (--steps) is 6 there, 5 now');
  const other = rows.map((r, i) => (i === 5 ? { ...r, input_ids: r.input_ids.map((t) => (t + 1) % 300) } : r));
  await refused(() => finetune({ ...small, data: other, checkpoint: store, resume: true }), 'resume', /the data \(--data\) differs: 8 examples, [0-9a-f]{16} there, 8 examples, [0-9a-f]{16} now/);
  const otherModel = new Map([...readdirSync(modelDir)].map((f) => [f, new Uint8Array(readFileSync(join(modelDir, f)))]));
  otherModel.set('config.json', new TextEncoder().encode(readFileSync(join(modelDir, 'config.json'), 'utf8').replace('"rope_theta": 10000.0', '"rope_theta": 5000.0')));
  await refused(() => finetune({ ...small, model: otherModel, checkpoint: store, resume: true }), 'resume', "the model's config.json (--model) differs");

  const notes: string[] = [];
  const longer = await finetune({ ...small, steps: 8, checkpoint: store, resume: true, onLog: (l) => notes.push(l) });
  assert.is(longer.losses.length, 8);
  assert.ok(notes.some((l) => l.includes('steps (--steps) raised from 6 to 8')), notes.join('\n'));
});

test('a checkpoint without its training state is a typed error', async () => {
  const store = memoryStore('broken');
  await store.put(CHECKPOINT_KEY, new Uint8Array(readFileSync(join(fixturesDir, 'llama-bone', 'adapter', 'adapter_model.safetensors'))));
  await refused(() => finetune({ ...small, checkpoint: store, resume: true }), 'checkpoint', /broken\/checkpoint.safetensors is not an osteon checkpoint .*start without resume/);
  await store.put(CHECKPOINT_KEY, writeSafetensors({}, { format: 'osteon-checkpoint-1', state: '{"step":' }));
  await refused(() => finetune({ ...small, checkpoint: store, resume: true }), 'checkpoint', 'has no valid training state');
});

/** A process that stays alive until killed (a run holding a lock). */
function sleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
}

test('--out: created with its parents; a folder that cannot be made, or is in use by a live run, is refused; a killed run\'s lock and temporary files are cleaned', async () => {
  const root = temp('out');
  const nested = join(root, 'a', 'b', 'c');
  const claimed = await claimOutFolder(nested);
  assert.ok(existsSync(join(nested, LOCK_FILE)));
  await claimed.release();
  assert.not.ok(existsSync(join(nested, LOCK_FILE)), 'released');

  // A folder without write permission. Root writes anywhere, so as root the command runs as the unprivileged
  // user `nobody` (setpriv), where the project's files are readable to it; otherwise the case is skipped, visibly.
  const readOnly = join(root, 'read-only');
  mkdirSync(readOnly, { mode: 0o555 });
  if (process.getuid?.() !== 0) {
    await refused(() => claimOutFolder(readOnly), 'output', `--out ${readOnly}: the folder is not writable`);
  } else {
    chmodSync(root, 0o755);
    const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli,
      ...finetuneTiny(), '--steps', '1', '--out', readOnly], { encoding: 'utf8' });
    if (asNobody.error || !asNobody.stderr.includes('[')) console.log(`  skipped the read-only folder case: cannot run as nobody here (${asNobody.error?.message ?? asNobody.stderr.trim().split('\n')[0]})`);
    else assert.match(asNobody.stderr, `[output] --out ${readOnly}: the folder is not writable`);
  }

  writeFileSync(join(root, 'file'), 'x');
  const r = osteon([...finetuneTiny(), '--steps', '1', '--out', join(root, 'file', 'sub')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /^\[output\] --out .*file\/sub: the folder cannot be created \(.*\); pick a folder you can write to/);

  const busy = join(root, 'busy');
  mkdirSync(busy);
  const other = sleeper();
  try {
    writeFileSync(join(busy, LOCK_FILE), `${other.pid}\n`);
    const second = osteon([...finetuneTiny(), '--steps', '1', '--out', busy]);
    assert.is(second.status, 1);
    assert.ok(second.stderr.includes(`[output] --out ${busy} is in use by another run (process ${other.pid}`), second.stderr);
    writeFileSync(join(busy, `${CHECKPOINT_KEY}.tmp-${other.pid}`), 'a live run is writing this');
  } finally {
    other.kill('SIGKILL');
  }
  // The holder is gone: its successor takes the lock over and removes what the dead ones left.
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
  await new Promise<void>((done) => (other.exitCode !== null || other.signalCode !== null ? done() : other.once('exit', () => done())));
  writeFileSync(join(busy, `adapter_model.safetensors.tmp-${dead}`), 'half a file');
  const after = osteon([...finetuneTiny(), '--steps', '1', '--out', busy]);
  assert.is(after.status, 0, after.stderr);
  assert.ok(after.stderr.includes(`took over ${join(busy, LOCK_FILE)} from process ${other.pid}, which is no longer running`), after.stderr);
  assert.ok(after.stderr.includes(`removed 2 temporary files a killed run left in ${busy}`), after.stderr);
  assert.equal(readdirSync(busy).filter((f) => f.includes('.tmp-') || f === LOCK_FILE), []);
});

test('a checkpoint that cannot be written stops the run, keeps the last good one and says where', async () => {
  const dir = temp('ckpt-fail');
  const e = await refused(() => finetune({
    ...small, checkpoint: folderStore(dir), checkpointEvery: 2,
    // After the first checkpoint, a folder where the next one's temporary file must go: the write fails.
    onProgress: (ev) => { if (ev.kind === 'checkpoint' && ev.step === 2) mkdirSync(join(dir, `${CHECKPOINT_KEY}.tmp-${process.pid}`)); },
  }), 'checkpoint', `could not write the checkpoint of step 4 to ${dir}/${CHECKPOINT_KEY}`);
  assert.ok(e.message.includes(`the last good checkpoint (step 2) is kept in ${dir}/${CHECKPOINT_KEY}; free space or fix the folder's permissions, then continue with --resume`), e.message);
  const kept = readCheckpoint(new Uint8Array(readFileSync(join(dir, CHECKPOINT_KEY))), 'kept');
  assert.is(kept.state.step, 2);
  assert.ok(!existsSync(join(dir, 'adapter_model.safetensors')));
});

test('a diverging run stops before the adapter or a checkpoint is written, naming the learning rate', async () => {
  const store = memoryStore('diverging');
  const e = await refused(() => finetune({ ...small, lr: 1e6, warmup: 0, checkpoint: store, checkpointEvery: 2 }), 'train',
    /training diverged at step 2: adapter values reach .*; the learning rate lr \(--lr\)=1000000 is too high .* try 1\.0e\+5 or lower .* The adapter was not written; no checkpoint was written yet/);
  assert.ok(e);
  assert.is(await store.get(CHECKPOINT_KEY), null);
});

test('a loss far above where the run started stops it, naming the learning rate and the last good checkpoint', async () => {
  const store = memoryStore('loss');
  const cancel = new AbortController();
  // Cancelled after step 2, the run keeps step 3 too (queued before the cancel): its checkpoint is step 3.
  await finetune({ ...small, checkpoint: store, signal: cancel.signal, onProgress: (e) => { if (e.kind === 'step' && e.step === 2) cancel.abort(); } })
    .catch((e: Error) => assert.is(e.name, 'AbortError'));
  // The fixture model's loss stays near ln(300) whatever the learning rate: record a first loss of 0.5 in
  // the checkpoint (as a real model's would be), so that the next ones (about 5.5) are far above it.
  const saved = readCheckpoint((await store.get(CHECKPOINT_KEY))!, 'loss');
  const state = JSON.parse(saved.file.metadata.state);
  state.history[0].loss = 0.5;
  const tensors = Object.fromEntries([...saved.file.tensors].map(([k, t]) => [k, { dtype: 'F32' as const, shape: t.shape, data: toFloat32(t) }]));
  await store.put(CHECKPOINT_KEY, writeSafetensors(tensors, { ...saved.file.metadata, state: JSON.stringify(state) }));
  await refused(() => finetune({ ...small, checkpoint: store, resume: true }), 'train',
    /training diverged at step 4: the loss [\d.]+ is far above the 0\.5000 it started at; the learning rate lr \(--lr\)=0\.01 is too high .*the last good checkpoint \(step 3\) is kept in loss\/checkpoint.safetensors/);
});

test('no command runs past the context: eval refuses a longer example, finetune cuts examples into rows of --seq', async () => {
  const long = { input_ids: Array.from({ length: 130 }, (_, t) => (t * 7) % 300) };
  await refused(() => evaluate({ model: modelDir, data: [long], backend: 'wasm' }), 'eval',
    "example 1 of the data has 130 tokens, more than the model's context (max_position_embeddings=128); split or shorten it");
  const run = await finetune({ ...small, data: [long, ...rows], steps: 1, seq: 128, noPack: true, heldOut: 0 });
  assert.is(run.losses.length, 1);
});

test.run();
