// `npm run bench -- adapters [--json] [--quick]`: one adapted linear layer, forward + backward, at shapes
// from real models, on every backend here: the frozen layer alone, Bone r=64, Bat r=64, mini, and LoRA at
// Bone's trainable-parameter count. Then a matmul sweep against the plain reference kernel.
// Correctness first (the doctor's PEFT cases on every backend), then time; every figure is printed next to
// the frozen layer (or the reference kernel) measured in the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../runtime/node.js';
import type { Backend } from '../runtime/backend.js';
import { AdaptedLinear } from '../runtime/adapters/linear.js';
import { type AdapterConfig, parameterCount } from '../runtime/adapters/config.js';
import { uniform } from '../runtime/adapters/random.js';
import { ReferenceBackend } from '../runtime/reference/backend.js';
import { availableBackends } from '../runtime/select.js';
import { builtinCases } from '../runtime/doctor/builtin.js';
import { runDoctor } from '../runtime/doctor/doctor.js';
import { timeIt, table } from './timing.js';

const N = 512; // tokens
const SHAPES: [number, number][] = [[576, 576], [1536, 576], [576, 1536], [2048, 2048]]; // [out, in]
const R = 64;
const MINI_R = 16;

interface Method { name: string; config: AdapterConfig | null }

function methods(out: number, inF: number): Method[] {
  const loraR = Math.max(1, Math.round((R * out) / (inF + out))); // equal trainable parameters to Bone
  return [
    { name: 'frozen', config: null },
    { name: `bone r=${R}`, config: { variant: 'bone', r: R } },
    { name: `bat r=${R}`, config: { variant: 'bat', r: R } },
    { name: `mini r=${R} m=${MINI_R}`, config: { variant: 'mini', r: R, miniR: MINI_R } },
    { name: `lora r=${loraR}`, config: { variant: 'lora', r: loraR, alpha: 2 * loraR } },
  ];
}

export interface AdapterRow {
  backend: string; out: number; in: number; method: string; ms: number; runs: number;
  overhead: number; baseGflops: number; trainable: number;
  memory: { savedBytes: number; paramBytes: number; gradBytes: number; optimizerBytes: number; totalBytes: number };
}

async function measure(b: Backend, out: number, inF: number, m: Method, frozenMs: number | null): Promise<AdapterRow> {
  const w = b.tensor([out, inF], uniform(out * inF, -0.05, 0.05, 1), 'W');
  const layer = new AdaptedLinear(b, w, null, `${out}x${inF}`);
  if (m.config) {
    const a = layer.addAdapter('a', m.config, 2);
    for (const p of Object.values(a.params)) b.write(p, uniform(p.size, -0.01, 0.01, 3));
  }
  const x = b.tensor([N, inF], uniform(N * inF, -1, 1, 4), 'x');
  const g = b.tensor([N, out], uniform(N * out, -1, 1, 5), 'g');
  const step = async () => {
    const { y, cache } = layer.forward(x);
    const dx = layer.backward(cache, g)!;
    layer.disposeCache(cache);
    b.dispose(y);
    b.dispose(dx);
    await b.sync();
  };
  const t = await timeIt(step);
  const trainable = m.config ? parameterCount(m.config, inF, out) : 0;
  const savedFloats = m.config ? layer.savedFloats(N) + (layer.needsInput() ? N * inF : 0) : 0;
  const memory = { savedBytes: savedFloats * 4, paramBytes: trainable * 4, gradBytes: trainable * 4, optimizerBytes: trainable * 8, totalBytes: 0 };
  memory.totalBytes = memory.savedBytes + memory.paramBytes + memory.gradBytes + memory.optimizerBytes;
  for (const tensor of [w, x, g]) b.dispose(tensor);
  for (const a of layer.adapters.values()) for (const tensor of [...Object.values(a.params), ...Object.values(a.grads)]) b.dispose(tensor);
  const flops = 4 * N * out * inF; // base forward (2NIO) + input gradient (2NIO)
  return {
    backend: b.name, out, in: inF, method: m.name, ms: t.medianMs, runs: t.runs,
    overhead: frozenMs ? t.medianMs / frozenMs : 1, baseGflops: flops / (t.medianMs * 1e6), trainable, memory,
  };
}

export interface MatmulRow { backend: string; n: number; ms: number; gflops: number; vsReference: number | null }

async function matmulSweep(backends: Backend[], sizes: number[], referenceUpTo: number): Promise<MatmulRow[]> {
  const rows: MatmulRow[] = [];
  const ref = new ReferenceBackend();
  for (const n of sizes) {
    const time = async (b: Backend) => {
      const a = b.tensor([n, n], uniform(n * n, -1, 1, 6), 'A');
      const bb = b.tensor([n, n], uniform(n * n, -1, 1, 7), 'B');
      const c = b.tensor([n, n], undefined, 'C');
      const t = await timeIt(async () => { b.matmul(a, bb, c); await b.sync(); }, { minRuns: b === ref ? 1 : 3 });
      for (const tensor of [a, bb, c]) b.dispose(tensor);
      return t.medianMs;
    };
    const refMs = n <= referenceUpTo ? await time(ref) : null;
    if (refMs) rows.push({ backend: 'reference', n, ms: refMs, gflops: (2 * n ** 3) / (refMs * 1e6), vsReference: 1 });
    for (const b of backends) {
      const ms = await time(b);
      rows.push({ backend: b.name, n, ms, gflops: (2 * n ** 3) / (ms * 1e6), vsReference: refMs ? refMs / ms : null });
    }
  }
  return rows;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(2);

export async function run(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const quick = args.includes('--quick'); // the two smallest shapes and a shorter sweep
  const log = (s = '') => { if (!json) console.log(s); };
  const backends = await availableBackends();
  log(`backends: ${backends.map((b) => `${b.name} (${b.info.device})`).join(', ')}`);

  const check = await runDoctor(backends, builtinCases);
  log(`correctness: ${check.cases.length} PEFT checks ${check.pass ? 'pass' : 'FAIL'} on every backend`);
  if (!check.pass) throw new Error('[bench] a backend fails the PEFT cases; timings would be meaningless');

  const rows: AdapterRow[] = [];
  for (const b of backends) {
    for (const [out, inF] of quick ? SHAPES.slice(0, 2) : SHAPES) {
      let frozen: number | null = null;
      for (const m of methods(out, inF)) {
        const row = await measure(b, out, inF, m, frozen);
        frozen ??= row.ms;
        rows.push(row);
        if (!json) process.stdout.write('.');
      }
    }
  }
  log('\n');
  log(`adapted linear layer, forward + backward (input gradient + adapter gradients), N=${N} tokens, float32`);
  log(table(
    ['backend', 'out x in', 'method', 'trainable', 'ms', 'x frozen', 'base GFLOP/s', 'saved MiB', 'adapter MiB'],
    rows.map((r) => [r.backend, `${r.out}x${r.in}`, r.method, r.trainable, r.ms.toFixed(2), r.overhead.toFixed(2),
      r.baseGflops.toFixed(2), mib(r.memory.savedBytes), mib(r.memory.totalBytes)]),
  ));
  log('adapter MiB = saved activations + parameters + gradients + AdamW state; "x frozen" = time / frozen layer time');

  const sweep = await matmulSweep(backends, quick ? [256, 512] : [256, 512, 1024, 2048], 1024);
  log('\nmatmul C = A B, square, float32 (reference = plain TypeScript triple loop, timed up to 1024)');
  log(table(['backend', 'n', 'ms', 'GFLOP/s', 'x reference'], sweep.map((r) => [r.backend, r.n, r.ms.toFixed(2), r.gflops.toFixed(2),
    r.vsReference ? r.vsReference.toFixed(1) : '-'])));

  const result = { date: new Date().toISOString(), tokens: N, backends: backends.map((b) => b.info), adapters: rows, matmul: sweep };
  const path = join(dirname(fileURLToPath(import.meta.url)), 'adapters.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(result, null, 2));
  if (json) console.log(JSON.stringify(result, null, 2));
  else log(`\nJSON: ${path}`);
  for (const b of backends) b.destroy();
}
