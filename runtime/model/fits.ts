// Will the model's weights fit the backend? Answered from config.json alone, before a byte of the weights
// is read, so a model too large for this device fails at once with its size, the limit and what to do,
// rather than after minutes of loading (or with a bare allocation error).
// WebAssembly keeps every weight as float32 in one memory of at most 4 GiB (wasm32), beside activations and
// the adapter; WebGPU stores each tensor in one buffer of at most maxBufferSize bytes, in float16 where the
// device has shader-f16 and the tensor fits one binding (gpu/backend.ts `weight`), else float32.
import type { Backend } from '../backend.js';
import { OsteonError } from '../errors.js';
import { type ModelConfig, bytes, weightCount } from './config.js';
import { weightShapes } from './llama.js';

/** WebAssembly memory that weights may take: 4 GiB less room for activations, the adapter and scratch. */
const WASM_WEIGHT_BYTES = 3.5 * 1024 ** 3;

/** Refuse a model the backend cannot hold, naming the size, the limit and what would fit. `source` is the
 *  config.json the sizes come from. */
export function checkModelFits(config: ModelConfig, backend: Pick<Backend, 'name' | 'info'>, source: string, halfWeights: boolean): void {
  if (backend.name === 'wasm') {
    const need = 4 * weightCount(config);
    if (need > WASM_WEIGHT_BYTES) {
      throw new OsteonError('checkpoint', `${source}: the model's weights need ${bytes(need)} as float32, more than the wasm backend's ` +
        `4 GiB memory holds beside the activations (at most ${bytes(WASM_WEIGHT_BYTES)} of weights); use the webgpu backend ` +
        '(--backend webgpu), or a smaller model', source);
    }
  }
  if (backend.name === 'webgpu') {
    const d = backend.info.details;
    const maxBuffer = Number(d.maxBufferSize), maxBinding = Number(d.maxStorageBufferBindingSize);
    const half = halfWeights && d['shader-f16'] === true;
    for (const [name, shape] of weightShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const need = half && shape.length === 2 && 4 * size <= maxBinding ? 2 * size : 4 * size;
      if (need > maxBuffer) {
        throw new OsteonError('checkpoint', `${source}: ${name} [${shape}] takes ${bytes(need)}, more than this GPU's largest buffer ` +
          `(maxBufferSize ${bytes(maxBuffer)}); use the wasm backend (--backend wasm), a device with larger buffers, or a smaller model`, source);
      }
    }
  }
}

/** Will a training step of `batch` rows of `seq` tokens fit? Refuses a row longer than the model's context
 *  (max_position_embeddings), and activations beyond the backend's memory (wasm: 4 GiB with the weights;
 *  WebGPU: one activation beyond the largest buffer), naming the options that shrink them. The estimate
 *  counts what a layer's forward keeps for backward (LayerCache in runtime/model/llama.ts) in float32. */
export function checkTrainingFits(config: ModelConfig, backend: Pick<Backend, 'name' | 'info'>, o: { batch: number; seq: number; recompute: boolean }, source: string): void {
  if (o.seq > config.maxPositions) {
    throw new OsteonError('finetune', `seq (--seq)=${o.seq} is longer than the model's context (max_position_embeddings=${config.maxPositions} ` +
      `in ${source}); use --seq ${config.maxPositions} or less (longer examples are split into rows of --seq tokens)`);
  }
  const tokens = o.batch * o.seq;
  const q = config.heads * config.headDim, kv = config.kvHeads * config.headDim, D = config.hidden, F = config.intermediate;
  // x, h, two normed inputs [D]; q, attn [H*E]; k, v [Hk*E]; gate, up, silu(gate)*up [F]; lse [H]; two rstd.
  const perLayer = 4 * D + 2 * q + 2 * kv + 3 * F + config.heads + 2;
  const kept = o.recompute ? config.layers * D + 2 * perLayer : (config.layers + 1) * perLayer;
  const activations = 4 * tokens * kept;
  const smaller = `use a smaller batch (--batch) or sequence (--seq)${o.recompute ? '' : ', or --recompute'}`;
  if (backend.name === 'wasm' && activations + 4 * weightCount(config) > 4 * 1024 ** 3) {
    throw new OsteonError('finetune', `batch (--batch)=${o.batch} x seq (--seq)=${o.seq} needs about ${bytes(activations)} of activations ` +
      `beside ${bytes(4 * weightCount(config))} of weights, more than the wasm backend's 4 GiB; ${smaller}, or the webgpu backend (--backend webgpu)`);
  }
  if (backend.name === 'webgpu') {
    const largest = 4 * tokens * Math.max(D, q, F);
    const maxBuffer = Number(backend.info.details.maxBufferSize);
    if (largest > maxBuffer) {
      throw new OsteonError('finetune', `batch (--batch)=${o.batch} x seq (--seq)=${o.seq} makes activations of ${bytes(largest)}, more than ` +
        `this GPU's largest buffer (maxBufferSize ${bytes(maxBuffer)}); ${smaller}`);
    }
  }
}
