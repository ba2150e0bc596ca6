// Crash safety of a fine-tuning run: `osteon finetune` processes killed with SIGKILL at random moments (half
// of them the moment a checkpoint's temporary file appears, i.e. during the write) and resumed until they
// finish must end with an adapter byte-identical to the uninterrupted run's; and a WebGPU device lost in the
// middle of a run (device.destroy()) stops it with a typed error, the last checkpoint intact, from which
// the run continues on WebGPU or WebAssembly.
// OSTEON_KILLS sets the number of kills on wasm (default 32; a quarter as many on WebGPU; about 25 s on two
// cores); a longer soak: OSTEON_KILLS=300.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { type FSWatcher, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_KEY, type FinetuneOptions, finetune } from '../runtime/api/finetune.js';
import { OsteonError } from '../runtime/errors.js';
import { folderStore } from '../runtime/model/node-files.js';
import { readCheckpoint } from '../runtime/train/checkpoint.js';
import { createWebGPUBackend, type WebGPUBackend } from '../gpu/backend.js';
import { rng } from '../runtime/generate/sampling.js';
import { MODEL_REL } from '../runtime/tolerances.js';
import { HALF_REL } from './tolerances.js';
import { FIXTURE_ROWS, fixturesDir } from './helpers.js';
import '../runtime/node.js';

const test = suite('reliability-kill');
const cli = join(fixturesDir, '..', '..', 'dist', 'cli.js');
const modelDir = join(fixturesDir, 'llama-bone', 'model');
const rows = FIXTURE_ROWS;
const KILLS = Number(process.env.OSTEON_KILLS ?? 32);
/** Kills per run before it is let finish: each run then resumes from several checkpoints in turn. */
const KILLS_PER_RUN = 4;

/** Runs of `osteon finetune` on `backend`, killed `kills` times in all and resumed until each finishes; every
 *  final adapter must equal the uninterrupted run's. Returns the figures. */
async function killAndResume(backend: string, kills: number): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), `osteon-kill-${backend}-`));
  const data = join(root, 'rows.jsonl');
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n'));
  const args = (out: string) => ['finetune', '--backend', backend, '--model', modelDir, '--data', data, '--steps', '12', '--batch', '2',
    '--seq', '16', '-r', '16', '--lr', '1e-2', '--warmup', '1', '--seed', '3', '--held-out', '2', '--checkpoint-every', '1', '--out', out];
  const started = performance.now();
  const whole = spawnSync(process.execPath, [cli, ...args(join(root, 'whole'))], { encoding: 'utf8' });
  assert.is(whole.status, 0, whole.stderr);
  const wholeMs = performance.now() - started;
  const expected = readFileSync(join(root, 'whole', 'adapter_model.safetensors'));

  const random = rng(10);
  let killed = 0, duringWrite = 0, atWriteMoment = 0, runs = 0, resumes = 0;
  const steps: number[] = [];
  while (killed < kills) {
    const out = join(root, `run-${runs++}`);
    for (let inRun = 0; ; inRun++) {
      const resume = existsSync(join(out, CHECKPOINT_KEY));
      if (resume) resumes++;
      const child = spawn(process.execPath, [cli, ...args(out), ...(resume ? ['--resume'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => { stderr += d; });
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      if (inRun < KILLS_PER_RUN && killed < kills) {
        // Odd kills land the moment a checkpoint write starts; even ones at a random moment, every other one
        // counted from the first checkpoint on (on a loaded machine start-up can take most of a run's time).
        const atWrite = killed % 2 === 1;
        const when: KillMoment = atWrite ? 'write' : killed % 4 === 2 ? 'after-checkpoint' : 'any';
        if (await killAt(child, exited, out, random() * wholeMs, when)) {
          killed++;
          if (atWrite) atWriteMoment++;
          if (existsSync(out) && readdirSync(out).some((f) => f.endsWith(`.tmp-${child.pid}`))) duringWrite++;
          if (existsSync(join(out, CHECKPOINT_KEY))) steps.push(readCheckpoint(new Uint8Array(readFileSync(join(out, CHECKPOINT_KEY))), 'killed').state.step);
          continue;
        }
      }
      assert.is(await exited, 0, stderr);
      break;
    }
    const got = readFileSync(join(out, 'adapter_model.safetensors'));
    assert.ok(got.equals(expected), `${backend} ${out}: the resumed adapter differs from the uninterrupted run's`);
  }
  assert.ok(steps.length > 0, `${backend}: no kill came after a checkpoint`);
  return `${backend}: ${killed} kills in ${runs} runs (${atWriteMoment} at a checkpoint write's start, ${duringWrite} left a half-written ` +
    `temporary file), ${resumes} resumes from steps ${[...new Set(steps)].sort((a, b) => a - b).join(',')}; every adapter identical`;
}

test(`${KILLS} SIGKILLs on wasm (and a quarter as many on WebGPU) at random moments and during checkpoint writes: every resumed run ends with the uninterrupted adapter`, async () => {
  console.log(`  ${await killAndResume('wasm', KILLS)}`);
  if (await hasWebGPU()) console.log(`  ${await killAndResume('webgpu', Math.ceil(KILLS / 4))}`);
});

/** Is there a WebGPU adapter? Its absence is a visible skip, or a failure where OSTEON_REQUIRE_WEBGPU=1. */
async function hasWebGPU(): Promise<boolean> {
  const gpu = await createWebGPUBackend();
  gpu?.destroy();
  if (!gpu) {
    if (process.env.OSTEON_REQUIRE_WEBGPU === '1') throw new Error('no WebGPU adapter (OSTEON_REQUIRE_WEBGPU=1)');
    console.log('  skipped on WebGPU: no WebGPU adapter');
  }
  return gpu !== null;
}

type KillMoment = 'any' | 'after-checkpoint' | 'write';

/** Kill `child` after `ms` ('any'), `ms` after its next completed checkpoint ('after-checkpoint'), or at the
 *  first checkpoint temporary file it creates after `ms` ('write'); false when it finished first. */
async function killAt(child: ChildProcess, exited: Promise<number | null>, out: string, ms: number, when: KillMoment): Promise<boolean> {
  let watcher: FSWatcher | null = null;
  const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  const watchFor = (match: (name: string) => boolean, then: () => void) => {
    mkdirSync(out, { recursive: true });
    watcher = watch(out, (_, name) => { if (name && match(name)) then(); });
  };
  const moment = new Promise<void>((done) => {
    if (when === 'write') setTimeout(() => watchFor((n) => n.startsWith(`${CHECKPOINT_KEY}.tmp-`), () => done(kill())), ms);
    else if (when === 'after-checkpoint') watchFor((n) => n === CHECKPOINT_KEY, () => setTimeout(() => done(kill()), ms / 4));
    else setTimeout(() => done(kill()), ms);
  });
  const code = await Promise.race([exited.then((c) => ({ c })), moment.then(() => exited.then((c) => ({ c })))]);
  (watcher as FSWatcher | null)?.close();
  return code.c === null && child.signalCode === 'SIGKILL';
}

test('a WebGPU device lost mid-run stops with a typed error and the last checkpoint intact; the run continues on WebGPU or wasm', async () => {
  if (!(await hasWebGPU())) return;
  const gpu = (await createWebGPUBackend())!;
  const o: FinetuneOptions = { model: modelDir, data: rows, steps: 6, batch: 2, seq: 16, r: 16, lr: 1e-2, warmup: 1, seed: 3, heldOut: 2, checkpointEvery: 2 };
  const root = mkdtempSync(join(tmpdir(), 'osteon-lost-'));
  const lostAt = join(root, 'lost');
  let error: unknown = null;
  try {
    await finetune({
      ...o, backend: gpu, checkpoint: folderStore(lostAt),
      onProgress: (e) => { if (e.kind === 'checkpoint' && e.step === 2) (gpu as WebGPUBackend).ctx.device.destroy(); },
    });
  } catch (e) {
    error = e;
  } finally {
    gpu.destroy();
  }
  assert.ok(error instanceof OsteonError, `expected an OsteonError, got ${(error as Error)?.stack ?? 'success'}`);
  const e = error as OsteonError;
  assert.is(e.component, 'webgpu', e.message);
  assert.ok(e.message.includes(`the last good checkpoint (step 2) is kept in ${lostAt}/${CHECKPOINT_KEY}: continue with --resume (on this or another backend)`), e.message);
  assert.is(readCheckpoint(new Uint8Array(readFileSync(join(lostAt, CHECKPOINT_KEY))), 'kept').state.step, 2);
  assert.not.ok(existsSync(join(lostAt, 'adapter_model.safetensors')));

  for (const backend of ['webgpu', 'wasm'] as const) {
    const dir = join(root, backend);
    mkdirSync(dir);
    copyFileSync(join(lostAt, CHECKPOINT_KEY), join(dir, CHECKPOINT_KEY));
    const [whole, resumed] = [await finetune({ ...o, backend }), await finetune({ ...o, backend, checkpoint: folderStore(dir), resume: true })];
    assert.is(resumed.losses.length, 6);
    // The two steps before the loss ran on WebGPU with float16 weights (where the device has shader-f16): on
    // wasm (float32 weights) the rest of the run follows within the half-precision tolerance.
    const tolerance = backend === 'webgpu' ? MODEL_REL : HALF_REL;
    resumed.losses.forEach((l, i) => assert.ok(Math.abs(l - whole.losses[i]) <= tolerance * whole.losses[i], `${backend} step ${i + 1}: ${l} vs ${whole.losses[i]}`));
  }
});

test.run();
