// The benchmark's workloads, the same code on every platform (Node or a browser page): each one checks its
// result against a reference first, then times repetitions on the backend it is given. Figures carry their
// spread (bench/schema.ts); ratios against baselines are made by the report, from the same run.
// Shapes: N = tokens, I/O = in/out features, T = sequence length, V = vocabulary; SmolLM-135M's shape for the
// model workloads (random weights: speed does not depend on them).
import type { Backend, Tensor } from '../runtime/backend.js';
import { AdaptedLinear } from '../runtime/adapters/linear.js';
import { type AdapterConfig, parameterCount } from '../runtime/adapters/config.js';
import { uniform } from '../runtime/adapters/random.js';
import { builtinCases } from '../runtime/doctor/builtin.js';
import { runDoctor } from '../runtime/doctor/doctor.js';
import { maxRelError } from '../runtime/doctor/fixture-case.js';
import { parseModelConfig } from '../runtime/model/config.js';
import { LlamaModel, weightShapes } from '../runtime/model/llama.js';
import { attachAdapter } from '../runtime/peft/adapter.js';
import { newPeftConfig } from '../runtime/peft/config.js';
import { DEFAULT_TRAIN, Trainer } from '../runtime/train/trainer.js';
import { KVCache } from '../runtime/generate/kv-cache.js';
import { MODEL_REL } from '../runtime/tolerances.js';
import { finetune } from '../runtime/api/finetune.js';
import { wasmThreadPeak, webgpuPeak } from './peak.js';
import { type Stat, type WorkloadResult, stat } from './schema.js';

export const SMOLLM_135M = {
  model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30,
  num_attention_heads: 9, num_key_value_heads: 3, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 2048,
  tie_word_embeddings: true, hidden_act: 'silu',
};

export interface Suite {
  name: string;
  matmul: number[];
  /** [out, in] of real models' projections (SmolLM-135M's, and a 2048 square). */
  adapterShapes: [number, number][];
  adapterTokens: number;
  train: { layers: number; seq: number; steps: number };
  generate: { layers: number; prompt: number; newTokens: number };
  /** The built-in fine-tuning job (what `osteon finetune` and the web page run by default): its steps, and
   *  for the smoke suite smaller rows and no held-out evaluation, so that a software GPU gets through it. */
  finetune: { steps: number; batch?: number; seq?: number; heldOut?: number };
  /** Tokenizer throughput against the JavaScript tokenizers (Node only; bench/tokenizer.ts). */
  tokenizer: { tokenizers: string[]; modes: ('pieces' | 'long')[]; mb: number; seconds: number };
  /** Repetitions: at least minRuns, and at least minMs of timed work. */
  minRuns: number;
  minMs: number;
}

export const SUITES: Record<string, Suite> = {
  quick: {
    name: 'quick', matmul: [256, 512, 1024], adapterShapes: [[576, 576], [1536, 576]], adapterTokens: 128,
    train: { layers: 2, seq: 64, steps: 2 }, generate: { layers: 2, prompt: 32, newTokens: 8 }, finetune: { steps: 30 }, minRuns: 3, minMs: 300,
    tokenizer: { tokenizers: ['gpt4'], modes: ['pieces'], mb: 1, seconds: 2 },
  },
  full: {
    name: 'full', matmul: [256, 512, 1024, 2048], adapterShapes: [[576, 576], [1536, 576], [576, 1536], [2048, 2048]], adapterTokens: 512,
    train: { layers: 30, seq: 256, steps: 3 }, generate: { layers: 30, prompt: 128, newTokens: 32 }, finetune: { steps: 200 }, minRuns: 5, minMs: 1000,
    tokenizer: { tokenizers: ['gpt4', 'llama3'], modes: ['pieces', 'long'], mb: 7, seconds: 6 },
  },
  /** The smallest case of every workload, once: keeps the suite working (CI), measures nothing worth keeping. */
  smoke: {
    name: 'smoke', matmul: [128], adapterShapes: [[192, 128]], adapterTokens: 32,
    train: { layers: 1, seq: 32, steps: 1 }, generate: { layers: 1, prompt: 8, newTokens: 3 }, finetune: { steps: 4, batch: 1, seq: 32, heldOut: 0 }, minRuns: 1, minMs: 0,
    tokenizer: { tokenizers: ['gpt4'], modes: ['pieces'], mb: 0.3, seconds: 0.5 },
  },
};

/** The adapters compared: Bone, Bat, mini, and LoRA at Bone's trainable-parameter count. */
export function methods(out: number, inF: number, r = 64): { name: string; config: AdapterConfig | null }[] {
  const b = Math.min(r, out, inF);
  const loraR = Math.max(1, Math.round((b * out) / (inF + out)));
  const list: { name: string; config: AdapterConfig | null }[] = [
    { name: 'frozen', config: null },
    { name: `bone r=${b}`, config: { variant: 'bone', r: b } },
    { name: `mini r=${b} m=16`, config: { variant: 'mini', r: b, miniR: 16 } },
    { name: `lora r=${loraR}`, config: { variant: 'lora', r: loraR, alpha: 2 * loraR } },
  ];
  if (out % b === 0 && inF % b === 0) list.splice(2, 0, { name: `bat r=${b}`, config: { variant: 'bat', r: b } });
  return list;
}

/** Milliseconds per call of `fn`, one sample per repetition. A sample times as many calls as fill SAMPLE_MS,
 *  because a page that is not cross-origin isolated rounds performance.now() to 0.1 ms, and a call can be
 *  shorter than that. */
async function repeat(suite: Suite, fn: () => Promise<void>): Promise<number[]> {
  const SAMPLE_MS = 2;
  let calls = 0;
  const warm = performance.now();
  do { await fn(); calls++; } while (performance.now() - warm < SAMPLE_MS); // warm-up: pipelines, allocations, JIT
  const times: number[] = [];
  const start = performance.now();
  while (times.length < suite.minRuns || (performance.now() - start < suite.minMs && times.length < 50)) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    times.push((performance.now() - t0) / calls);
  }
  return times;
}

/** Worst relative error a workload's check accepts, with its reason: float32 accumulation over K up to 2048
 *  terms (MODEL_REL), or the float16 rounding of every weight (2^-11 each, 20x margin, as tests/half). */
const CHECK_REL = { f32: MODEL_REL, f16: 1e-2 };

function fail(workload: string, what: string): never {
  throw new Error(`[bench] ${workload}: ${what}; timings of a wrong result would be meaningless`);
}

/** The device's f32 peak (bench/peak.ts) as a result of its own, or null where it cannot be measured
 *  (the reference backend). */
async function devicePeak(b: Backend): Promise<{ gflops: number; result: WorkloadResult } | null> {
  let gflops: number | null = null, how = '';
  if (b.name === 'wasm') {
    const threads = Number(b.info.details.threads ?? 1);
    gflops = (await wasmThreadPeak()) * threads;
    how = `the matmul micro-kernel on L1-resident panels, one thread's rate x ${threads} thread${threads > 1 ? 's' : ''}`;
  } else if (b.name === 'webgpu') {
    gflops = await webgpuPeak();
    how = 'vec4 fused multiply-adds on registers over the whole device';
  }
  if (!gflops) return null;
  const one = (v: number, unit: string): Stat => ({ median: v, min: v, max: v, n: 1, unit });
  return { gflops, result: { workload: 'matmul', case: 'device peak (f32)', check: `passed: ${how} (an upper bound)`, metrics: { gflops: one(gflops, 'GFLOP/s') } } };
}

/** Square matmuls in float32, and with float16 weights where the backend keeps weights in half precision:
 *  each size's product is checked against float64 on sampled rows, then timed. */
export async function matmulWorkload(b: Backend, suite: Suite): Promise<WorkloadResult[]> {
  const out: WorkloadResult[] = [];
  const peak = await devicePeak(b);
  if (peak) out.push(peak.result);
  for (const n of suite.matmul) {
    const a = uniform(n * n, -1, 1, 6), w = uniform(n * n, -1, 1, 7);
    for (const dtype of ['f32', 'f16'] as const) {
      const tw = dtype === 'f16' ? b.weight([n, n], w, 'W') : b.tensor([n, n], w, 'W');
      if (dtype === 'f16' && tw.dtype !== 'float16') { // this backend keeps weights in float32
        b.dispose(tw);
        continue;
      }
      const ta = b.tensor([n, n], a, 'A');
      const tc = b.tensor([n, n], undefined, 'C');
      b.matmul(ta, tw, tc, { transB: true }); // C = A W^T, as a linear layer computes it
      const c = await b.read(tc);
      const rows = [0, n >> 1, n - 1];
      const want = new Float32Array(rows.length * n), got = new Float32Array(rows.length * n);
      rows.forEach((i, r) => {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += a[i * n + k] * w[j * n + k];
          want[r * n + j] = s;
          got[r * n + j] = c[i * n + j];
        }
      });
      const err = maxRelError(got, want);
      if (!(err <= CHECK_REL[dtype])) fail('matmul', `${n}^3 ${dtype} differs from float64 by ${err}`);
      const times = await repeat(suite, async () => { b.matmul(ta, tw, tc, { transB: true }); await b.sync(); });
      for (const t of [ta, tw, tc]) b.dispose(t);
      out.push({
        workload: 'matmul', case: `${n}x${n}x${n} ${dtype}`, check: `passed: sampled rows vs float64 within ${CHECK_REL[dtype]} (${err.toExponential(1)})`,
        metrics: {
          ms: stat(times, 'ms'), gflops: stat(times.map((ms) => (2 * n ** 3) / (ms * 1e6)), 'GFLOP/s'),
          ...(peak ? { peakFraction: stat(times.map((ms) => (2 * n ** 3) / (ms * 1e6) / peak.gflops), 'of peak') } : {}),
        },
      });
    }
  }
  return out;
}

/** One adapted linear layer, forward + backward (input gradient and adapter gradients), per method, after
 *  PEFT's golden cases pass on this backend. */
export async function adapterWorkload(b: Backend, suite: Suite): Promise<WorkloadResult[]> {
  const doctor = await runDoctor([b], builtinCases);
  if (!doctor.pass) fail('adapter', `${doctor.cases.filter((c) => !c.pass).length} PEFT cases fail on ${b.name}`);
  const check = `passed: ${doctor.cases.length} PEFT cases within 1e-5`;
  const N = suite.adapterTokens;
  const out: WorkloadResult[] = [];
  for (const [o, i] of suite.adapterShapes) {
    for (const m of methods(o, i)) {
      const w = b.tensor([o, i], uniform(o * i, -0.05, 0.05, 1), 'W');
      const layer = new AdaptedLinear(b, w, null, `${o}x${i}`);
      if (m.config) {
        const a = layer.addAdapter('a', m.config, 2);
        for (const p of Object.values(a.params)) b.write(p, uniform(p.size, -0.01, 0.01, 3));
      }
      const x = b.tensor([N, i], uniform(N * i, -1, 1, 4), 'x');
      const g = b.tensor([N, o], uniform(N * o, -1, 1, 5), 'g');
      const times = await repeat(suite, async () => {
        const { y, cache } = layer.forward(x);
        const dx = layer.backward(cache, g)!;
        layer.disposeCache(cache);
        b.dispose(y);
        b.dispose(dx);
        await b.sync();
      });
      const trainable = m.config ? parameterCount(m.config, i, o) : 0;
      const saved = m.config ? (layer.savedFloats(N) + (layer.needsInput() ? N * i : 0)) * 4 : 0;
      for (const t of [w, x, g]) b.dispose(t);
      for (const a of layer.adapters.values()) for (const t of [...Object.values(a.params), ...Object.values(a.grads)]) b.dispose(t);
      const one = (v: number, unit: string): Stat => ({ median: v, min: v, max: v, n: 1, unit });
      out.push({
        workload: 'adapter', case: `${m.name}, ${o}x${i}, N=${N}`, check,
        metrics: { ms: stat(times, 'ms'), trainable: one(trainable, 'parameters'), savedBytes: one(saved, 'bytes') },
      });
    }
  }
  return out;
}

/** A LLaMA model of SmolLM-135M's shape (fewer layers in small suites) with random weights. */
export function randomModel(b: Backend, layers: number): LlamaModel {
  const config = parseModelConfig({ ...SMOLLM_135M, num_hidden_layers: layers });
  const weights = new Map<string, Tensor>();
  let seed = 1;
  for (const [name, shape] of weightShapes(config)) {
    const size = shape.reduce((x, y) => x * y, 1);
    const data = name.endsWith('norm.weight') ? new Float32Array(size).fill(1) : uniform(size, -0.0346, 0.0346, seed++);
    weights.set(name, shape.length === 2 ? b.weight(shape, data, name) : b.tensor(shape, data, name));
  }
  return new LlamaModel(b, config, weights);
}

/** A whole training step (forward, backward, AdamW) per method, and the frozen model's forward + backward.
 *  Check: the first loss of a random model is finite and near ln V (it predicts nearly uniformly). */
export async function trainWorkload(b: Backend, suite: Suite): Promise<WorkloadResult[]> {
  const { layers, seq, steps } = suite.train;
  const out: WorkloadResult[] = [];
  const shape = `SmolLM-135M shape, ${layers} layer${layers > 1 ? 's' : ''}, T=${seq}`;
  for (const m of methods(SMOLLM_135M.hidden_size, SMOLLM_135M.hidden_size)) {
    const model = randomModel(b, layers);
    const ids = Int32Array.from({ length: seq }, (_, i) => (i * 7919) % model.config.vocabSize);
    let step: () => Promise<number>;
    let trainable = 0;
    let trainer: Trainer | null = null;
    if (!m.config) {
      step = () => model.forwardLoss(ids, ids, 1, true);
    } else {
      const config = m.config.variant === 'lora' ? { ...m.config, r: 32, alpha: 64 } : m.config;
      const adapter = attachAdapter(model, newPeftConfig(config, 'all-linear'));
      trainable = [...adapter.layers.values()].reduce((s, l) => s + Object.values(l.params).reduce((x, t) => x + t.size, 0), 0);
      trainer = new Trainer(b, model, adapter, [{ ids, labels: ids }], { ...DEFAULT_TRAIN, steps: 1e9, batchSize: 1 });
      const t = trainer;
      step = async () => (await t.trainStep()).loss;
    }
    const first = await step();
    const lnV = Math.log(model.config.vocabSize);
    if (!(Math.abs(first - lnV) < 1)) fail('train', `${m.name}: the first loss ${first} is not near ln V = ${lnV.toFixed(2)}`);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    trainer?.dispose();
    model.dispose();
    const name = m.config?.variant === 'lora' ? 'lora r=32' : m.name;
    const one = (v: number, unit: string): Stat => ({ median: v, min: v, max: v, n: 1, unit });
    out.push({
      workload: 'train', case: `${name}, ${shape}`, check: `passed: first loss ${first.toFixed(3)} within 1 of ln V`,
      metrics: { stepMs: stat(times, 'ms'), tokensPerSecond: stat(times.map((ms) => seq / (ms / 1000)), 'tokens/s'), trainable: one(trainable, 'parameters') },
    });
  }
  return out;
}

/** Prefill (the prompt in one pass) and decode (one token at a time against the key/value cache). Check:
 *  the cached decode's logits equal a full forward over prompt + token. */
export async function generateWorkload(b: Backend, suite: Suite): Promise<WorkloadResult[]> {
  const { layers, prompt, newTokens } = suite.generate;
  const model = randomModel(b, layers);
  const V = model.config.vocabSize;
  const ids = Int32Array.from({ length: prompt }, (_, i) => (i * 131 + 7) % V);
  const next = Int32Array.of(11);
  // Check once: cached decode vs the whole sequence in one pass.
  const kv = new KVCache(b, model.config, 1, prompt + 1);
  b.dispose(model.forward(ids, 1, kv).logits);
  const cached = model.forward(next, 1, kv).logits;
  const whole = model.forward(Int32Array.from([...ids, ...next]), 1).logits;
  const a = await b.read(cached), w = (await b.read(whole)).subarray(prompt * V);
  b.dispose(cached);
  b.dispose(whole);
  kv.dispose();
  const err = maxRelError(a, w);
  const tolerance = b.info.details['shader-f16'] === true ? CHECK_REL.f16 : CHECK_REL.f32;
  if (!(err <= tolerance)) fail('generate', `cached decode differs from a full forward by ${err}`);
  const prefill: number[] = [], decode: number[] = [];
  const runs = Math.max(suite.minRuns, 1);
  for (let r = 0; r <= runs; r++) { // the first run warms up
    const cache = new KVCache(b, model.config, 1, prompt + newTokens);
    let t0 = performance.now();
    const logits = model.forward(ids, 1, cache).logits;
    await b.read(logits);
    b.dispose(logits);
    if (r) prefill.push(performance.now() - t0);
    t0 = performance.now();
    for (let i = 0; i < newTokens; i++) {
      const l = model.forward(next, 1, cache).logits;
      await b.read(l); // generation reads every token's logits to sample the next
      b.dispose(l);
    }
    if (r) decode.push(performance.now() - t0);
    cache.dispose();
  }
  model.dispose();
  return [{
    workload: 'generate', case: `SmolLM-135M shape, ${layers} layer${layers > 1 ? 's' : ''}, prompt ${prompt}, ${newTokens} new tokens`,
    check: `passed: cached decode vs full forward within ${tolerance} (${err.toExponential(1)})`,
    metrics: {
      prefillTokensPerSecond: stat(prefill.map((ms) => prompt / (ms / 1000)), 'tokens/s'),
      decodeTokensPerSecond: stat(decode.map((ms) => newTokens / (ms / 1000)), 'tokens/s'),
    },
  }];
}

/** The built-in fine-tuning job through the public finetune(), as a user runs it (loading, data, training,
 *  held-out evaluation, the adapter's files). Check: the training loss went down. */
export async function finetuneWorkload(b: Backend, suite: Suite): Promise<WorkloadResult[]> {
  const { steps } = suite.finetune;
  const run = await finetune({ backend: b, ...suite.finetune });
  const first = run.losses[0], last = run.losses[steps - 1];
  if (!(last < first)) fail('finetune', `the loss went from ${first} to ${last}, not down`);
  const tokens = run.history.reduce((s, h) => s + h.tokens, 0);
  const one = (v: number, unit: string): Stat => ({ median: v, min: v, max: v, n: 1, unit });
  return [{
    workload: 'finetune', case: `built-in model, bone r=16, ${steps} steps`, check: `passed: loss ${first.toFixed(3)} -> ${last.toFixed(3)}`,
    metrics: { seconds: one(run.seconds, 's'), tokensPerSecond: one(tokens / run.seconds, 'tokens/s') },
  }];
}

/** Count live tensor bytes on the backend (its GPU buffers or wasm tensors) by wrapping its allocators; a
 *  weight counts at its stored width (2 bytes in float16), and the temporaries inside `weight` not at all. */
export function trackTensorBytes(b: Backend): () => number {
  let live = 0, peak = 0, inside = 0;
  const sizes = new WeakMap<Tensor, number>();
  const count = (t: Tensor) => {
    const bytes = t.size * (t.dtype === 'float16' ? 2 : 4);
    sizes.set(t, bytes);
    live += bytes;
    peak = Math.max(peak, live);
    return t;
  };
  const tensor = b.tensor.bind(b), dispose = b.dispose.bind(b);
  b.tensor = (shape, data, label) => (inside ? tensor(shape, data, label) : count(tensor(shape, data, label)));
  const weight = b.weight.bind(b);
  b.weight = (shape, data, label) => {
    inside++;
    try {
      return count(weight(shape, data, label));
    } finally {
      inside--;
    }
  };
  b.dispose = (t) => {
    live -= sizes.get(t) ?? 0;
    sizes.delete(t);
    dispose(t);
  };
  return () => peak;
}

export type WorkloadName = 'matmul' | 'adapter' | 'train' | 'generate' | 'finetune';
export const WORKLOADS: WorkloadName[] = ['matmul', 'adapter', 'train', 'generate', 'finetune'];

/** Every workload of the suite on one backend, in order; `onDone` hears each as it finishes. */
export async function runWorkloads(b: Backend, suite: Suite, only: WorkloadName[] = WORKLOADS,
  onDone: (name: string, results: WorkloadResult[]) => void = () => {}): Promise<WorkloadResult[]> {
  const all: WorkloadResult[] = [];
  const run = { matmul: matmulWorkload, adapter: adapterWorkload, train: trainWorkload, generate: generateWorkload, finetune: finetuneWorkload };
  for (const name of only) {
    const results = await run[name](b, suite);
    all.push(...results);
    onDone(name, results);
  }
  return all;
}

