// `npm run bench -- edge [--shapes smollm2-360m,qwen2.5-0.5b,llama-3.2-1b] [--backends wasm,webgpu,torch]
//   [--seq T] [--steps S] [--r R] [--dir DIR] [--json]`; a backend may name its own shapes, `torch:smollm2-360m`
//   (on a slow software adapter or a reference-BLAS PyTorch the big shapes take many minutes per step).
// Fine-tuning at real edge-model shapes: each shape's folder is written once with random weights in the exact
// shapes (BF16 safetensors, sharded as Hugging Face shards them, config.json as published; no download), then
// each (backend, shape) runs in its own process, so that its peak RSS is its own: it loads the folder as
// `osteon finetune` does (runtime/model/checkpoint.ts: tensor by tensor, half-precision weights), attaches Bone
// with block size r on every linear layer, and times whole training steps (forward, backward, AdamW) on one
// sequence of T tokens. PyTorch on the CPU (bench/peers/torch_edge.py: the same LLaMA and Bone written out in
// torch, float32) runs the same shapes in the same run beside them.
// Also: `--write SHAPE --dir DIR` only writes the folder (for `osteon finetune --model DIR`).
// The big shapes are for this benchmark only; the tests use small ones.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../runtime/node.js';
import { bytes, parseModelConfig } from '../runtime/model/config.js';
import { loadModel } from '../runtime/model/checkpoint.js';
import { nodeFiles } from '../runtime/model/node-files.js';
import { weightShapes } from '../runtime/model/llama.js';
import { attachAdapter } from '../runtime/peft/adapter.js';
import { newPeftConfig } from '../runtime/peft/config.js';
import { DEFAULT_TRAIN, Trainer } from '../runtime/train/trainer.js';
import { createBackend, parseBackendChoice } from '../runtime/select.js';
import { torchPython } from '../runtime/cli/bench.js';
import { table } from './timing.js';

const LLAMA3_ROPE = { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };

/** The published config.json of each model (the fields osteon reads). */
export const EDGE_SHAPES: Record<string, Record<string, unknown>> = {
  'smollm2-360m': {
    model_type: 'llama', vocab_size: 49152, hidden_size: 960, intermediate_size: 2560, num_hidden_layers: 32,
    num_attention_heads: 15, num_key_value_heads: 5, rms_norm_eps: 1e-5, rope_theta: 100000, max_position_embeddings: 8192,
    tie_word_embeddings: true, hidden_act: 'silu', torch_dtype: 'bfloat16',
  },
  'qwen2.5-0.5b': {
    model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
    num_attention_heads: 14, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000, max_position_embeddings: 32768,
    tie_word_embeddings: true, hidden_act: 'silu', torch_dtype: 'bfloat16', use_sliding_window: false,
  },
  'llama-3.2-1b': {
    model_type: 'llama', vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16,
    num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, rms_norm_eps: 1e-5, rope_theta: 500000,
    max_position_embeddings: 131072, rope_scaling: LLAMA3_ROPE, tie_word_embeddings: true, hidden_act: 'silu', torch_dtype: 'bfloat16',
  },
  'llama-3.2-3b': {
    model_type: 'llama', vocab_size: 128256, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 28,
    num_attention_heads: 24, num_key_value_heads: 8, head_dim: 128, rms_norm_eps: 1e-5, rope_theta: 500000,
    max_position_embeddings: 131072, rope_scaling: LLAMA3_ROPE, tie_word_embeddings: true, hidden_act: 'silu', torch_dtype: 'bfloat16',
  },
};

/** Bytes per safetensors shard, as transformers' save_pretrained cuts them (max_shard_size 5GB, here 2 GiB so
 *  that the 1 B shape is sharded too). */
const SHARD_BYTES = 2 * 1024 ** 3;

/** Random BF16 values of a trained model's scale: sign, exponent 2^-9 .. 2^-6, mantissa uniform (xorshift). */
function randomBf16(out: Uint16Array, seed: number): void {
  let s = (seed * 0x9e3779b1) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s >>> 31) << 15) | ((118 + ((s >>> 7) & 3)) << 7) | (s & 0x7f);
  }
}

/** Write the shape's folder: config.json, model-0000i-of-0000n.safetensors shards and their index, each
 *  tensor generated and written on its own (never the whole shard in memory). */
export function writeRandomFolder(dir: string, shape: string): void {
  const raw = EDGE_SHAPES[shape];
  if (!raw) throw new Error(`[bench] unknown shape ${shape}; one of ${Object.keys(EDGE_SHAPES).join(', ')}`);
  const config = parseModelConfig(raw);
  mkdirSync(dir, { recursive: true });
  const shards: [string, number[]][][] = [[]];
  let used = 0;
  for (const entry of weightShapes(config)) {
    const size = 2 * entry[1].reduce((a, b) => a * b, 1);
    if (used + size > SHARD_BYTES && shards[shards.length - 1].length) { shards.push([]); used = 0; }
    shards[shards.length - 1].push(entry);
    used += size;
  }
  const names = shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`);
  const weightMap: Record<string, string> = {};
  let seed = 1;
  shards.forEach((tensors, i) => {
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, shape] of tensors) {
      const size = 2 * shape.reduce((a, b) => a * b, 1);
      header[name] = { dtype: 'BF16', shape, data_offsets: [offset, offset + size] };
      offset += size;
      weightMap[name] = names[i];
    }
    const json = JSON.stringify(header);
    const padded = Math.ceil(json.length / 8) * 8;
    const prefix = Buffer.alloc(8 + padded, 0x20);
    prefix.writeBigUInt64LE(BigInt(padded), 0);
    prefix.write(json, 8);
    const fd = openSync(join(dir, names[i]), 'w');
    try {
      writeSync(fd, prefix);
      for (const [name, shape] of tensors) {
        const values = new Uint16Array(shape.reduce((a, b) => a * b, 1));
        if (name.endsWith('norm.weight')) values.fill(0x3f80); // 1.0
        else randomBf16(values, seed++);
        writeSync(fd, new Uint8Array(values.buffer));
      }
    } finally {
      closeSync(fd);
    }
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], ...raw }, null, 2));
}

interface Row {
  backend: string; shape: string; parameters: number; seq: number; r: number; trainable: number;
  weightsMiB: number; loadS: number; rssAfterLoadMiB: number; stepS: number; tokensPerSecond: number; peakRssMiB: number; loss: number;
}

const mib = (x: number) => x / 2 ** 20;
const rssMiB = () => mib(process.memoryUsage().rss);

/** One (backend, shape) measurement in this process, from the shape's folder. */
async function measureOne(backendName: string, shape: string, dir: string, seq: number, steps: number, r: number): Promise<Row> {
  const backend = await createBackend({ backend: parseBackendChoice(backendName) });
  const t0 = performance.now();
  const { model, config } = await loadModel(backend, nodeFiles(dir));
  const loadS = (performance.now() - t0) / 1000;
  const rssAfterLoadMiB = rssMiB();
  let weightBytes = 0;
  for (const t of new Set(model.namedWeights().values())) weightBytes += t.size * (t.dtype === 'float16' ? 2 : 4);
  const adapter = attachAdapter(model, newPeftConfig({ variant: 'bone', r }, 'all-linear'));
  const trainable = [...adapter.layers.values()].reduce((s, l) => s + Object.values(l.params).reduce((a, t) => a + t.size, 0), 0);
  const ids = Int32Array.from({ length: seq }, (_, i) => (i * 7919) % config.vocabSize);
  const trainer = new Trainer(backend, model, adapter, [{ ids, labels: ids }], { ...DEFAULT_TRAIN, steps: steps + 1, batchSize: 1 });
  let loss = (await trainer.trainStep()).loss; // warm-up: allocations, JIT, pipelines
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const s0 = performance.now();
    loss = (await trainer.trainStep()).loss;
    times.push((performance.now() - s0) / 1000);
  }
  times.sort((a, b) => a - b);
  const stepS = times[Math.floor(times.length / 2)];
  trainer.dispose();
  backend.destroy();
  return {
    backend: backend.name, shape, parameters: [...new Set(model.namedWeights().values())].reduce((s, t) => s + t.size, 0), seq, r, trainable,
    weightsMiB: mib(weightBytes), loadS, rssAfterLoadMiB, stepS, tokensPerSecond: seq / stepS,
    peakRssMiB: process.resourceUsage().maxRSS / 1024, loss,
  };
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

/** The PyTorch peer's row, or null with the reason on stderr. */
function torchRow(self: string, shape: string, seq: number, steps: number, r: number): Row | null {
  const script = join(dirname(self), '..', '..', 'bench', 'peers', 'torch_edge.py');
  const python = torchPython();
  if (!python) {
    process.stderr.write(' skipped: no python3 imports torch\n');
    return null;
  }
  const child = spawnSync(python, [script], {
    input: JSON.stringify({ config: EDGE_SHAPES[shape], shape, seq, steps, r }), encoding: 'utf8', maxBuffer: 1 << 26,
  });
  const last = child.stdout?.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !last.startsWith('{')) {
    process.stderr.write(` failed: ${(child.stderr?.trim().split('\n').pop() ?? String(child.error)).slice(0, 200)}\n`);
    return null;
  }
  return JSON.parse(last) as Row;
}

export async function run(args: string[]): Promise<void> {
  const seq = Number(option(args, 'seq', '256'));
  const steps = Number(option(args, 'steps', '2'));
  const r = Number(option(args, 'r', '64'));
  const base = option(args, 'dir', join(tmpdir(), 'osteon-edge'));
  const write = option(args, 'write', '');
  if (write) {
    writeRandomFolder(base, write);
    process.stderr.write(`wrote ${write}-shaped BF16 folder to ${base}\n`);
    return;
  }
  if (args.includes('--child')) {
    const shape = option(args, 'shape', 'smollm2-360m');
    try {
      const row = await measureOne(option(args, 'backend', 'wasm'), shape, join(base, shape), seq, steps, r);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    } catch (e) {
      // A refusal (a model too large for the backend) is a result too: its message is the parent's line.
      process.stdout.write(`${JSON.stringify({ error: (e as Error).message })}\n`);
    }
    return;
  }
  const json = args.includes('--json');
  const shapes = option(args, 'shapes', 'smollm2-360m,qwen2.5-0.5b,llama-3.2-1b').split(',');
  const backends = option(args, 'backends', 'wasm,webgpu,torch').split(',');
  const self = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  for (const shape of shapes) {
    const dir = join(base, shape);
    if (!existsSync(join(dir, 'config.json'))) {
      if (!json) process.stderr.write(`writing the ${shape} folder to ${dir} ...\n`);
      writeRandomFolder(dir, shape);
    }
    for (const choice of backends) {
      const [backend, only] = choice.split(':');
      if (only && !only.split('+').includes(shape)) continue;
      if (!json) process.stderr.write(`${shape} ${backend} ...`);
      let row: Row | null;
      if (backend === 'torch') {
        row = torchRow(self, shape, seq, steps, r);
      } else {
        const child = spawnSync(process.execPath, [join(dirname(self), 'main.mjs'), 'edge', '--child', '--backend', backend, '--shape', shape,
          '--dir', base, '--seq', String(seq), '--steps', String(steps), '--r', String(r)], { encoding: 'utf8', maxBuffer: 1 << 26 });
        const last = child.stdout.trim().split('\n').pop() ?? '';
        const result = child.status === 0 && last.startsWith('{') ? JSON.parse(last) as Row | { error: string } : null;
        row = result && !('error' in result) ? result : null;
        if (!row && !json) {
          const why = result && 'error' in result ? result.error : `exit ${child.status}: ${child.stderr.trim().split('\n').filter((l) => l.includes('Error')).pop() ?? ''}`;
          process.stderr.write(` not run: ${why.slice(0, 400)}\n`);
        }
      }
      if (!row) continue;
      rows.push(row);
      if (!json) process.stderr.write(` ${row.stepS.toFixed(2)} s/step\n`);
    }
  }
  const torchS = (shape: string) => rows.find((x) => x.backend.startsWith('torch') && x.shape === shape)?.stepS;
  if (!json) {
    console.log(`\nBone r=${r} on every linear layer, one sequence of T=${seq}; step = forward + backward + AdamW (median of ${steps}, ` +
      'after a warm-up step for osteon; PyTorch eager has no warm-up to speak of and runs its steps cold)');
    console.log(table(['shape', 'backend', 'parameters', 'trainable', 'weights MiB', 'load s', 'RSS after load MiB', 'step s', 'tokens/s', 'x torch', 'peak RSS MiB'],
      rows.map((x) => [x.shape, x.backend, `${(x.parameters / 1e9).toFixed(2)} B`, x.trainable, x.weightsMiB.toFixed(0), x.loadS.toFixed(1),
        x.rssAfterLoadMiB.toFixed(0), x.stepS.toFixed(2), x.tokensPerSecond.toFixed(1), (x.stepS / (torchS(x.shape) ?? NaN)).toFixed(2), x.peakRssMiB.toFixed(0)])));
  }
  const result = { date: new Date().toISOString(), seq, r, steps, rows, weights: rows.map((x) => `${x.shape} ${x.backend}: ${bytes(x.weightsMiB * 2 ** 20)}`) };
  const path = join(dirname(self), 'edge.json');
  writeFileSync(path, JSON.stringify(result, null, 2));
  if (json) console.log(JSON.stringify(result, null, 2));
  else console.log(`JSON: ${path}`);
}
