// Training end to end: a few steps lower the loss; a run resumed from a checkpoint continues with exactly
// the losses of the uninterrupted run; a non-finite loss stops with a clear error before touching the
// adapter; steps queued ahead give the same losses with one small read each; and the CLI (finetune, eval, merge, generate) on the tests' tiny model and the fixture model.
import type { Backend } from '../runtime/backend.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../runtime/model/checkpoint.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { attachAdapter, loadAdapter } from '../runtime/peft/adapter.js';
import { newPeftConfig } from '../runtime/peft/config.js';
import { examplesFromJsonl, toRows } from '../runtime/train/data.js';
import { DEFAULT_TRAIN, Trainer } from '../runtime/train/trainer.js';
import { checkpointBytes, restoreCheckpoint } from '../runtime/train/checkpoint.js';
import { MODEL_REL } from './tolerances.js';
import { fixturesDir, relError, testBackends } from './helpers.js';
import { TINY_TRAIN, tinyOnDisk } from './tiny-model.js';

const train = suite('finetune');
let backends: Backend[] = [];
train.before(async () => {
  backends = await testBackends();
  assert.ok(backends.length > 0);
});

const cli = join(fixturesDir, '..', '..', 'dist', 'cli.js');
const modelDir = join(fixturesDir, 'llama-bone', 'model');
const rowsJsonl = Array.from({ length: 6 }, (_, i) => JSON.stringify({
  input_ids: Array.from({ length: 16 }, (_, t) => (i * 37 + t * 11) % 300),
  labels: Array.from({ length: 16 }, (_, t) => (t < 4 ? -100 : (i * 37 + t * 11) % 300)),
})).join('\n');

async function makeTrainer(b: Backend, steps: number, dropout = 0) {
  const { model } = await loadModel(b, nodeFiles(modelDir));
  const adapter = attachAdapter(model, newPeftConfig({ variant: 'bone', r: 16, dropout }, 'all-linear'));
  const rows = toRows(examplesFromJsonl(rowsJsonl, null, 'rows'), 16, false);
  return new Trainer(b, model, adapter, rows, { ...DEFAULT_TRAIN, steps, batchSize: 2, lr: 1e-2, warmup: 1, seed: 3 });
}

train('a few steps lower the loss; resuming a checkpoint repeats the uninterrupted losses exactly', async () => {
  for (const b of backends) {
    const whole = await makeTrainer(b, 6);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push((await whole.trainStep()).loss);
    assert.ok(losses[5] < losses[0] - 0.05, `${b.name}: loss ${losses[0]} -> ${losses[5]} did not go down`);

    const first = await makeTrainer(b, 6);
    for (let i = 0; i < 3; i++) await first.trainStep();
    const saved = await checkpointBytes(first);
    const resumed = await makeTrainer(b, 6);
    restoreCheckpoint(resumed, saved, 'checkpoint');
    assert.is(resumed.step, 3);
    for (let i = 3; i < 6; i++) assert.is((await resumed.trainStep()).loss, losses[i], `${b.name}: resumed step ${i + 1}`);
  }
});

train('with dropout, a resumed run still repeats the uninterrupted losses, and dropout changes them', async () => {
  for (const b of backends) {
    const run = async (dropout: number, resumeAt: number | null) => {
      let t = await makeTrainer(b, 4, dropout);
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        if (i === resumeAt) {
          const saved = await checkpointBytes(t);
          t = await makeTrainer(b, 4, dropout);
          restoreCheckpoint(t, saved, 'checkpoint');
        }
        losses.push((await t.trainStep()).loss);
      }
      return losses;
    };
    const whole = await run(0.2, null);
    assert.equal(await run(0.2, 2), whole, `${b.name}: resumed dropout run`);
    const plain = await run(0, null);
    assert.ok(whole.slice(1).some((l, i) => l !== plain[i + 1]), `${b.name}: dropout=0.2 left every loss unchanged`);
  }
});

train('recomputing layers in backward gives the same gradients with less kept', async () => {
  for (const b of backends) {
    const grads = async (recompute: boolean) => {
      const { model } = await loadModel(b, nodeFiles(join(fixturesDir, 'llama-bat', 'model')));
      const adapter = await loadAdapter(model, nodeFiles(join(fixturesDir, 'llama-bat', 'adapter')));
      model.recompute = recompute;
      const ids = Int32Array.from({ length: 24 }, (_, i) => (i * 31) % 300);
      await model.forwardLoss(ids, ids, 2, true);
      return Promise.all([...adapter.layers.values()].map((l) => b.read(l.grads.block)));
    };
    const [plain, again] = [await grads(false), await grads(true)];
    plain.forEach((g, i) => assert.equal(Array.from(again[i]), Array.from(g), `${b.name}: recomputed gradient ${i} differs`));
  }
});

train('a NaN loss stops training with a clear error; the device leaves every parameter untouched, even for the step queued behind it', async () => {
  for (const b of backends) {
    const t = await makeTrainer(b, 4);
    await t.trainStep();
    const state = () => Promise.all(t.tensors.flatMap((x) => [x.param, x.m, x.v]).map((x) => b.read(x)));
    const poisoned = (await b.read(t.tensors[0].param)).slice();
    poisoned[0] = NaN;
    b.write(t.tensors[0].param, poisoned);
    const before = await state();
    let message = '';
    try {
      for await (const _ of t.run(4)) { /* step 3 is queued before step 2's numbers arrive */ }
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, /\[train\] loss is NaN at step 2; the adapter was not updated/, b.name);
    const after = await state();
    assert.ok(after.every((x, i) => x.every((v, j) => Object.is(v, before[i][j]))), `${b.name}: a failed step changed the parameters or moments`);
    assert.is(t.step, 1, `${b.name}: the step counter stays at the last good step`);
    assert.is(t.history.length, 1);
  }
});

train('run queues each step before the last one is read, with the losses of steps taken one at a time; one 12-byte read per step', async () => {
  for (const b of backends) {
    const single = await makeTrainer(b, 5);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) losses.push((await single.trainStep()).loss);
    const ahead = await makeTrainer(b, 5);
    const got: number[] = [], readBack: number[] = [];
    let last = b.counters();
    for await (const s of ahead.run(5)) {
      got.push(s.loss);
      const now = b.counters();
      if (now && last) readBack.push(now.bytesReadBack - last.bytesReadBack);
      last = now;
    }
    assert.equal(got, losses, `${b.name}: losses of run() and of trainStep()`);
    // One read per step of [scale, loss, gradNorm], three floats; the first wait already has the second
    // step queued, and the last has nothing left to queue.
    if (readBack.length) assert.equal(readBack, [24, 12, 12, 12, 0], `${b.name}: bytes read back while waiting for each step`);
  }
});

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

train('osteon finetune on the tiny model writes a PEFT adapter, a loss curve and a checkpoint', () => {
  const out = mkdtempSync(join(tmpdir(), 'osteon-ft-'));
  const tiny = tinyOnDisk();
  const r = run(['finetune', '--backend', 'reference', '--model', tiny.model, '--data', tiny.data, '-r', String(TINY_TRAIN.r),
    '--seq', String(TINY_TRAIN.seq), '--lr', String(TINY_TRAIN.lr), '--steps', '8', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  for (const f of ['adapter_config.json', 'adapter_model.safetensors', 'loss.svg', 'checkpoint.safetensors', 'training_log.json']) {
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
  }
  const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
  assert.is(config.peft_type, 'MISS');
  assert.is(config.r, 16);
  const log = JSON.parse(readFileSync(join(out, 'training_log.json'), 'utf8'));
  assert.is(log.history.length, 8);
  assert.ok(log.history[7].loss < log.history[0].loss, 'loss went down');
  assert.match(readFileSync(join(out, 'loss.svg'), 'utf8'), /^<svg[^>]*>[\s\S]*<path d="M/);
  assert.match(r.stderr, /done in .*loss \d/);
  const generated = run(['generate', '--backend', 'reference', '--model', tiny.model, '--adapter', out, '--prompt', 'Q: What is Bone?\nA:', '--max-new-tokens', '8']);
  assert.is(generated.status, 0, generated.stderr);
  assert.ok(generated.stdout.length > 0);
  const bad = run(['finetune', '--backend', 'reference', '--model', tiny.model, '--data', tiny.data, '--method', 'bat', '-r', '7', '--out', out]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /\[bat\] in_features=96 of .* is not divisible by r=7/);
});

train('osteon finetune --eval-before --sample shows the held-out loss and a continuation before and after; --method full writes a model folder', () => {
  const tiny = tinyOnDisk();
  const common = ['--backend', 'wasm', '--model', tiny.model, '--data', tiny.data, '--seq', String(TINY_TRAIN.seq), '--steps', '12', '--held-out', '4'];
  const out = mkdtempSync(join(tmpdir(), 'osteon-ft-'));
  const r = run(['finetune', ...common, '-r', String(TINY_TRAIN.r), '--lr', String(TINY_TRAIN.lr), '--eval-before', '--sample', 'Q: What is Bone?', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const [, before, after] = /held-out loss ([\d.]+) -> ([\d.]+), perplexity/.exec(r.stderr) ?? [];
  assert.ok(Number(after) < Number(before), r.stderr);
  assert.match(r.stderr, /\nbefore: Q: What is Bone\?.*\nafter: {2}Q: What is Bone\?/);

  const full = mkdtempSync(join(tmpdir(), 'osteon-full-'));
  const f = run(['finetune', ...common, '--method', 'full', '--lr', '1e-3', '--out', full]);
  assert.is(f.status, 0, f.stderr);
  assert.match(f.stderr, /full fine-tuning: every weight, [\d,]+ trainable parameters/);
  for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'loss.svg']) assert.ok(existsSync(join(full, name)), `missing ${name}`);
  const tuned = run(['eval', '--backend', 'wasm', '--model', full, '--data', tiny.data, '--json']);
  assert.is(tuned.status, 0, tuned.stderr);
});

train('osteon eval --json, and a merged export reproduces the adapted model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'osteon-eval-'));
  writeFileSync(join(dir, 'rows.jsonl'), rowsJsonl);
  const adapterDir = join(fixturesDir, 'llama-bone', 'adapter');
  const evalArgs = ['eval', '--backend', 'reference', '--model', modelDir, '--adapter', adapterDir, '--data', join(dir, 'rows.jsonl'), '--json'];
  const result = JSON.parse(execFileSync(process.execPath, [cli, ...evalArgs], { encoding: 'utf8' }));
  assert.equal(Object.keys(result).sort(), ['loss', 'perplexity', 'tokens']);
  assert.is(result.tokens, 6 * 12); // 16 tokens, labels 4..15 scored, position t predicts t + 1
  assert.ok(Math.abs(result.perplexity - Math.exp(result.loss)) < 1e-9 * result.perplexity);

  const merged = join(dir, 'merged');
  const m = run(['merge', '--backend', 'reference', '--model', modelDir, '--adapter', adapterDir, '--out', merged]);
  assert.is(m.status, 0, m.stderr);
  const evalMerged = JSON.parse(execFileSync(process.execPath, [cli, 'eval', '--backend', 'reference', '--model', merged, '--data', join(dir, 'rows.jsonl'), '--json'], { encoding: 'utf8' }));
  assert.ok(Math.abs(evalMerged.loss - result.loss) <= MODEL_REL * result.loss, `merged loss ${evalMerged.loss} vs adapted ${result.loss}`);

  const b = backends[0];
  const ids = Int32Array.from({ length: 12 }, (_, i) => (i * 23) % 300);
  const adapted = (await loadModel(b, nodeFiles(modelDir))).model;
  await loadAdapter(adapted, nodeFiles(adapterDir));
  const exported = (await loadModel(b, nodeFiles(merged))).model;
  const err = relError(await b.read(exported.forward(ids, 1).logits), await b.read(adapted.forward(ids, 1).logits));
  assert.ok(err <= MODEL_REL, `merged export logits differ by ${err}`);
});

train.run();
