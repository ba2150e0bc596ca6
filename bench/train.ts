// `npm run bench -- train [--backends webgpu,wasm] [--methods frozen,bone,bat,lora] [--layers N] [--seq T] [--steps S] [--json]`
// A SmolLM-135M-shaped model (30 layers, hidden 576, 9 heads / 3 key-value heads, intermediate 1536,
// vocabulary 49152, random weights), one sequence of T=256 tokens, adapters on every linear layer of every
// block: the frozen model's forward + backward, then a full training step (forward, backward, AdamW) with
// Bone r=64, Bat r=64 and LoRA r=32 (about the same trainable parameters). Each (backend, method) runs in
// its own process so that its peak memory is its own: peak RSS of the process, peak bytes of live tensors on
// the backend (GPU buffers or wasm memory), and the JS heap.
// Each row also carries the device traffic of its last step ("counters": dispatches, submits, buffers created,
// bytes uploaded and read back), on backends that have a device (WebGPU), and for the adapters the mean step
// when each step is queued before the previous one is read ("queuedStepMs", Trainer.run, as `osteon
// finetune` trains): on a GPU the device then computes while the CPU waits and encodes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../runtime/node.js';
import type { AdapterConfig } from '../runtime/adapters/config.js';
import { type DeviceCounters, countersBetween } from '../runtime/backend.js';
import { attachAdapter } from '../runtime/peft/adapter.js';
import { newPeftConfig } from '../runtime/peft/config.js';
import { DEFAULT_TRAIN, Trainer } from '../runtime/train/trainer.js';
import { createBackend, parseBackendChoice } from '../runtime/select.js';
import { table } from './timing.js';
import { randomModel, trackTensorBytes } from './workloads.js';


const METHODS: Record<string, AdapterConfig | null> = {
  frozen: null,
  bone: { variant: 'bone', r: 64 },
  bat: { variant: 'bat', r: 64 },
  lora: { variant: 'lora', r: 32, alpha: 64 },
};

interface Row {
  backend: string; method: string; layers: number; seq: number; trainable: number;
  stepMs: number; tokensPerSecond: number; peakRssMiB: number; peakTensorMiB: number; peakHeapMiB: number;
  /** Mean step of `steps` steps run through Trainer.run; null for the frozen model (no trainer). */
  queuedStepMs: number | null;
  /** Device traffic of the last (steady-state) step; null on backends without a device. */
  counters: DeviceCounters | null;
}

/** One (backend, method) measurement, in this process. */
async function measureOne(backendName: string, method: string, layers: number, seq: number, steps: number): Promise<Row> {
  const backend = await createBackend({ backend: parseBackendChoice(backendName) });
  const peakTensors = trackTensorBytes(backend);
  let peakHeap = 0;
  const sampleHeap = () => { peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed); };
  const model = randomModel(backend, layers);
  const config = model.config;
  const ids = Int32Array.from({ length: seq }, (_, i) => (i * 7919) % config.vocabSize);
  const adapterConfig = METHODS[method];
  let trainable = 0;
  let step: () => Promise<void>;
  let trainer: Trainer | null = null;
  if (!adapterConfig) {
    // The same chunked LM head and loss the trainer uses, and backward through every layer.
    step = async () => { await model.forwardLoss(ids, ids, 1, true); };
  } else {
    const adapter = attachAdapter(model, newPeftConfig(adapterConfig, 'all-linear'));
    trainable = [...adapter.layers.values()].reduce((s, l) => s + Object.values(l.params).reduce((a, t) => a + t.size, 0), 0);
    const t = trainer = new Trainer(backend, model, adapter, [{ ids, labels: ids }], { ...DEFAULT_TRAIN, steps: 2 * steps + 1, batchSize: 1 });
    step = async () => { await t.trainStep(); };
  }
  await step(); // warm-up: pipelines, allocations, JIT
  sampleHeap();
  const times: number[] = [];
  let counters: DeviceCounters | null = null;
  for (let i = 0; i < steps; i++) {
    const before = backend.counters();
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
    counters = countersBetween(before, backend.counters());
    sampleHeap();
  }
  times.sort((a, b) => a - b);
  const stepMs = times[Math.floor(times.length / 2)];
  let queuedStepMs: number | null = null;
  if (trainer) {
    const t0 = performance.now();
    for await (const _ of trainer.run(trainer.step + steps)) sampleHeap();
    queuedStepMs = (performance.now() - t0) / steps;
  }
  backend.destroy();
  const mib = (x: number) => x / 2 ** 20;
  return {
    backend: backend.name, method, layers, seq, trainable, stepMs, tokensPerSecond: seq / (stepMs / 1000), queuedStepMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024, peakTensorMiB: mib(peakTensors()), peakHeapMiB: mib(peakHeap),
    counters,
  };
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

export async function run(args: string[]): Promise<void> {
  const layers = Number(option(args, 'layers', '30'));
  const seq = Number(option(args, 'seq', '256'));
  const steps = Number(option(args, 'steps', '2'));
  if (args.includes('--child')) {
    const row = await measureOne(option(args, 'backend', 'wasm'), option(args, 'method', 'bone'), layers, seq, steps);
    process.stdout.write(`${JSON.stringify(row)}\n`);
    return;
  }
  const json = args.includes('--json');
  const backends = option(args, 'backends', 'webgpu,wasm').split(',');
  const methods = option(args, 'methods', 'frozen,bone,bat,lora').split(',');
  const self = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  for (const backend of backends) {
    for (const method of methods) {
      if (!json) process.stderr.write(`${backend} ${method} ...`);
      const child = spawnSync(process.execPath, [join(dirname(self), 'main.mjs'), 'train', '--child', '--backend', backend, '--method', method,
        '--layers', String(layers), '--seq', String(seq), '--steps', String(steps)], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const last = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !last.startsWith('{')) {
        if (!json) process.stderr.write(` failed: ${(child.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}\n`);
        continue;
      }
      const row = JSON.parse(last) as Row;
      rows.push(row);
      if (!json) process.stderr.write(` ${(row.stepMs / 1000).toFixed(2)} s\n`);
    }
  }
  const frozenMs = (b: string) => rows.find((r) => r.backend === b && r.method === 'frozen')?.stepMs;
  const boneMs = (b: string) => rows.find((r) => r.backend === b && r.method === 'bone')?.stepMs;
  if (!json) {
    console.log(`\nSmolLM-135M-shaped model (${layers} layers), T=${seq}, adapters on every linear layer; step = forward + backward (+ AdamW)`);
    console.log(table(['backend', 'method', 'trainable', 'step s', 'queued s', 'tokens/s', 'x frozen', 'x bone', 'peak RSS MiB', 'tensors MiB',
      'JS heap MiB', 'dispatches', 'submits', 'new buffers', 'KiB up', 'KiB down'],
      rows.map((r) => [r.backend, r.method, r.trainable, (r.stepMs / 1000).toFixed(2), r.queuedStepMs === null ? '-' : (r.queuedStepMs / 1000).toFixed(2),
        r.tokensPerSecond.toFixed(1),
        (r.stepMs / (frozenMs(r.backend) ?? NaN)).toFixed(2), (r.stepMs / (boneMs(r.backend) ?? NaN)).toFixed(2),
        r.peakRssMiB.toFixed(0), r.peakTensorMiB.toFixed(0), r.peakHeapMiB.toFixed(0),
        ...(r.counters ? [r.counters.dispatches, r.counters.submits, r.counters.buffersCreated,
          (r.counters.bytesUploaded / 1024).toFixed(1), (r.counters.bytesReadBack / 1024).toFixed(1)] : ['-', '-', '-', '-', '-'])])));
    console.log('step s: one step waited for alone; queued s: the mean step when each is queued before the last is read ' +
      '(osteon finetune); dispatches .. KiB down: device traffic of one steady-state step (WebGPU)');
  }
  const result = { date: new Date().toISOString(), layers, seq, rows };
  const path = join(dirname(self), 'train.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(result, null, 2));
  if (json) console.log(JSON.stringify(result, null, 2));
  else console.log(`JSON: ${path}`);
}
