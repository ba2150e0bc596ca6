// estimateFinetune(): the memory a fine-tuning job needs, from config.json alone (no weight is read), and
// whether it fits the chosen backend: what `osteon finetune --dry-run` prints before any loading starts.
// Figures: the frozen weights as the backend stores them (runtime/model/fits.ts), the adapter (float32), its
// gradient and AdamW's two moments, the activations one token keeps from the forward pass for the backward
// (runtime/model/llama.ts `LayerCache`, with and without --recompute), and the logits chunks of the loss.
// It deliberately does not count allocator slack, the JavaScript heap or the runtime itself: it is a lower
// bound on what the backend must hold, stated as such.
import type { Backend } from '../backend.js';
import { parameterCount } from '../adapters/config.js';
import { BUILTIN_FOLDER } from '../builtin/builtin.js';
import { OsteonError } from '../errors.js';
import { type ModelConfig, bytes, parseModelConfig, weightCount } from '../model/config.js';
import { readJsonFile } from '../model/files.js';
import { checkModelFits, halfByDefault, wasmWeightBytes, webgpuHalf, webgpuWeightBytes } from '../model/fits.js';
import { LOSS_CHUNK_BYTES, weightShapes } from '../model/llama.js';
import { newPeftConfig } from '../peft/config.js';
import { isTargeted } from '../peft/targets.js';
import { type FinetuneOptions, adapterConfig, resolveRun } from './finetune.js';
import { type BackendOption } from './open.js';
import { createBackend, parseBackendChoice } from '../select.js';
import { describeSource, openFolder } from './sources.js';

/** wasm32's whole linear memory. */
const WASM_MEMORY = 4 * 1024 ** 3;

export interface MemoryEstimate {
  model: string;
  backend: string;
  parameters: number;
  /** Frozen weights as this backend stores them, and in what. */
  weightBytes: number;
  weightStorage: string;
  trainable: number;
  /** Adapter parameters (float32). */
  adapterBytes: number;
  /** Gradient and AdamW's two moments (3 x the adapter). */
  optimizerBytes: number;
  /** Kept from forward for backward, per token: every layer's cache, or (recompute) each layer's input plus
   *  one layer's cache. */
  activationBytesPerToken: number;
  activationBytesPerTokenRecompute: number;
  /** Tokens per micro-batch (batch x seq) and the activations they keep with the chosen --recompute. */
  tokens: number;
  activationBytes: number;
  /** The loss's logits and their gradient, one chunk each (LlamaModel.lossChunkBytes). */
  lossBytes: number;
  totalBytes: number;
  /** The backend's limit that the total is held against, null where none is known (reference). */
  limitBytes: number | null;
  fits: boolean;
  /** Why not, naming the limit and what to do; null when it fits. */
  reason: string | null;
}

/** Floats one layer keeps per token for backward (LlamaModel.layerForward): x, h [D]; q, attn [H E]; k, v [Hk E];
 *  gate, up [F]; two rstd and H lse; the adapters' own (r per projection for Bone/LoRA); and the projections'
 *  inputs (n1, n2 [D], act [F]) when an adapter reads them (Bat, LoRA). */
function layerFloatsPerToken(c: ModelConfig, variant: string, r: number): number {
  const q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  const kept = 2 * c.hidden + 2 * q + 2 * kv + 2 * c.intermediate + 2 + c.heads;
  const adapters = variant === 'bone' || variant === 'lora' ? 7 * r : 0;
  const inputs = variant === 'bat' || variant === 'lora' ? 2 * c.hidden + c.intermediate : 0;
  return kept + adapters + inputs;
}

/** Memory of `finetune(o)` on its backend, from the model's config.json only. */
export async function estimateFinetune(o: FinetuneOptions = {}): Promise<MemoryEstimate> {
  const builtin = o.model === undefined;
  const files = openFolder(o.model ?? BUILTIN_FOLDER, 'model');
  if (!(await files.exists('config.json'))) {
    throw new OsteonError('model', `${builtin ? 'the built-in model' : describeSource(o.model!)} has no config.json: pass a Hugging Face model folder`);
  }
  const source = `${files.name}/config.json`;
  const config = parseModelConfig(await readJsonFile(files, 'config.json', 'config'), source);
  const run = resolveRun(o, builtin);
  const r = run.r;
  const full = run.method === 'full';
  const halfWeights = full ? false : o.halfWeights;
  const linear = [...weightShapes(config)].filter(([name, s]) => s.length === 2 && name.startsWith('model.layers.'))
    .map(([name, s]) => [name.slice(0, -'.weight'.length), s] as const);
  const paths = [...linear.map(([p]) => p), 'lm_head'];
  let trainable = weightCount(config);
  if (!full) {
    const adapter = adapterConfig(run);
    const peft = newPeftConfig(adapter, run.targets);
    trainable = linear.filter(([p]) => isTargeted(peft.targets, p, paths)).reduce((sum, [, [out, inF]]) => sum + parameterCount(adapter, inF, out), 0);
  }
  const tokens = run.batch * run.seq;
  // A full run keeps every projection's input for its weight's gradient, as LoRA does (and no adapter terms).
  const perLayer = 4 * layerFloatsPerToken(config, full ? 'lora' : adapterConfig(run).variant, full ? 0 : r);
  const perToken = config.layers * perLayer + 4 * 2 * config.hidden;
  const perTokenRecompute = config.layers * 4 * config.hidden + perLayer + 4 * 2 * config.hidden;
  const lossBytes = 2 * Math.min(LOSS_CHUNK_BYTES, tokens * 4 * config.vocabSize);

  return withBackend(o.backend, (backend) => {
    const half = backend.name === 'wasm' ? halfByDefault('wasm', halfWeights, config.raw.torch_dtype)
      : backend.name === 'webgpu' && webgpuHalf(backend, halfWeights);
    const weightBytes = backend.name === 'wasm' ? wasmWeightBytes(config, halfWeights)
      : [...webgpuWeightBytes(config, half).values()].reduce((a, b) => a + b, 0);
    const activationBytes = tokens * (o.recompute ? perTokenRecompute : perToken);
    // The trained values themselves are the weights in a full run; then only gradients and moments add.
    const totalBytes = weightBytes + (full ? 3 : 4) * 4 * trainable + activationBytes + lossBytes;
    let reason: string | null = null;
    try {
      checkModelFits(config, backend, source, halfWeights);
    } catch (e) {
      reason = (e as Error).message;
    }
    const limitBytes = backend.name === 'wasm' ? WASM_MEMORY : backend.name === 'webgpu' ? gpuMemory(backend) : null;
    if (!reason && limitBytes !== null && totalBytes > limitBytes) {
      reason = `${source}: the job needs about ${bytes(totalBytes)}, more than the ${backend.name} backend's ` +
        `${backend.name === 'wasm' ? '4 GiB memory (wasm32)' : `${bytes(limitBytes)} (maxBufferSize x buffers is no bound; this is the adapter's reported memory)`}; ` +
        (o.recompute ? '' : 'use --recompute, ') + 'a smaller --batch or --seq, ' + (backend.name === 'wasm' ? 'the webgpu backend, ' : '') + 'or a smaller model';
    }
    return {
      model: builtin ? 'built-in' : describeSource(o.model!), backend: backend.name, parameters: weightCount(config),
      weightBytes, weightStorage: half ? 'float16 matrices, float32 norms' : 'float32', trainable,
      adapterBytes: 4 * trainable, optimizerBytes: 12 * trainable, activationBytesPerToken: perToken,
      activationBytesPerTokenRecompute: perTokenRecompute, tokens, activationBytes, lossBytes, totalBytes, limitBytes,
      fits: reason === null, reason,
    };
  });
}

/** Run `job` on the chosen backend: one the caller passed, or a new one (no weights on it) destroyed after. */
async function withBackend<T>(option: BackendOption | undefined, job: (backend: Backend) => T): Promise<T> {
  if (typeof option === 'object') return job(option);
  const backend = await createBackend(option === undefined ? {} : { backend: parseBackendChoice(option) });
  try {
    return job(backend);
  } finally {
    backend.destroy();
  }
}

/** A WebGPU device's memory where the backend reports it, else null (WebGPU exposes no memory size). */
function gpuMemory(backend: Backend): number | null {
  const m = Number(backend.info.details.memoryBytes);
  return Number.isFinite(m) && m > 0 ? m : null;
}

/** The estimate as the lines `osteon finetune --dry-run` prints. */
export function formatEstimate(e: MemoryEstimate): string[] {
  return [
    `model: ${e.model}, ${e.parameters >= 1e9 ? `${(e.parameters / 1e9).toFixed(2)} B` : `${(e.parameters / 1e6).toFixed(1)} M`} parameters; backend: ${e.backend}`,
    `weights:     ${bytes(e.weightBytes)} (${e.weightStorage})`,
    `adapter:     ${bytes(e.adapterBytes)} (${e.trainable.toLocaleString('en-US')} trainable parameters, float32)`,
    `optimizer:   ${bytes(e.optimizerBytes)} (gradient and AdamW's two moments)`,
    `activations: ${bytes(e.activationBytesPerToken)} per token, ${bytes(e.activationBytesPerTokenRecompute)} with --recompute; ` +
      `${bytes(e.activationBytes)} for ${e.tokens} tokens per micro-batch`,
    `loss:        ${bytes(e.lossBytes)} (logits chunks)`,
    `total:       about ${bytes(e.totalBytes)}${e.limitBytes ? ` of ${bytes(e.limitBytes)}` : ''} (a lower bound: no allocator slack, JS heap or runtime)`,
    e.fits ? `fits the ${e.backend} backend` : `does not fit: ${e.reason}`,
  ];
}
