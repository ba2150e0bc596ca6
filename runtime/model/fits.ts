// Will the model's weights fit the backend? Answered from config.json alone, before a byte of the weights
// is read, so a model too large for this device fails at once with its size, the limit and what to do,
// rather than after minutes of loading (or with a bare allocation error).
// WebAssembly keeps every weight in one memory of at most 4 GiB (wasm32), beside activations and the adapter:
// the 2-D weights as float16 (2 bytes) when half weights are on (`halfWeights`), the norms as float32. A model
// whose weights still do not fit (3 B parameters and up) is refused here: splitting the weights over several
// memories would need every kernel to address more than one memory (README, "Model size"). WebGPU stores each
// tensor in one buffer of at most maxBufferSize bytes, the 2-D weights in float16 where the device has
// shader-f16 (whatever their size: kernels read tensors over one storage binding in row windows), else
// float32. WebGPU reports no memory size, so the sum of the buffers is not checked here: an allocation the
// device cannot make fails with the tensor's name (gpu/device.ts).
import type { Backend, BackendName } from '../backend.js';
import { OsteonError } from '../errors.js';
import { type ModelConfig, bytes, weightCount } from './config.js';
import { weightShapes } from './llama.js';

/** WebAssembly memory that weights may take: 4 GiB less room for activations, the adapter and scratch. */
export const WASM_WEIGHT_BYTES = 3.5 * 1024 ** 3;

/** The dtypes a checkpoint stores in 2 bytes (safetensors names, and config.json's torch_dtype). */
const TWO_BYTE = new Set(['F16', 'BF16', 'float16', 'bfloat16']);

/** Whether a 2-D weight stored as `stored` (a safetensors dtype or torch_dtype) becomes a half-precision
 *  weight: `halfWeights` when given; by default on WebGPU always (it has always stored f32 checkpoints in
 *  float16 too), on WebAssembly only for checkpoints stored in 2 bytes, so a float32 checkpoint keeps its
 *  exact values there. */
export function halfByDefault(backend: BackendName, halfWeights: boolean | undefined, stored: unknown): boolean {
  return halfWeights ?? (backend === 'webgpu' || TWO_BYTE.has(String(stored)));
}

/** Bytes the wasm backend keeps the model's weights in. */
export function wasmWeightBytes(config: ModelConfig, halfWeights: boolean | undefined): number {
  const half = halfByDefault('wasm', halfWeights, config.raw.torch_dtype);
  let need = 0;
  for (const [, shape] of weightShapes(config)) need += (half && shape.length === 2 ? 2 : 4) * shape.reduce((a, b) => a * b, 1);
  return need;
}

/** Whether WebGPU keeps the 2-D weights in float16: `halfWeights` unless false, where the device has shader-f16. */
export function webgpuHalf(backend: Pick<Backend, 'info'>, halfWeights: boolean | undefined): boolean {
  return (halfWeights ?? true) && backend.info.details['shader-f16'] === true;
}

/** Bytes of each weight on WebGPU: the 2-D ones in float16 when `half`, the rest (norms) in float32. */
export function webgpuWeightBytes(config: ModelConfig, half: boolean): Map<string, number> {
  const need = new Map<string, number>();
  for (const [name, shape] of weightShapes(config)) need.set(name, (half && shape.length === 2 ? 2 : 4) * shape.reduce((a, b) => a * b, 1));
  return need;
}

/** Refuse a model the backend cannot hold, naming the size, the limit and what would fit. `source` is the
 *  config.json the sizes come from. */
export function checkModelFits(config: ModelConfig, backend: Pick<Backend, 'name' | 'info'>, source: string, halfWeights: boolean | undefined): void {
  if (backend.name === 'wasm') {
    const need = wasmWeightBytes(config, halfWeights);
    if (need > WASM_WEIGHT_BYTES) {
      const as = halfByDefault('wasm', halfWeights, config.raw.torch_dtype) ? 'with float16 matrices' : 'as float32';
      throw new OsteonError('checkpoint', `${source}: the model's ${(weightCount(config) / 1e9).toFixed(2)} B weights need ` +
        `${bytes(need)} ${as}, more than the wasm backend's 4 GiB memory (wasm32) holds beside the activations (at most ` +
        `${bytes(WASM_WEIGHT_BYTES)} of weights, about 1.7 B parameters in float16); use the webgpu backend ` +
        '(--backend webgpu), or a smaller model' + (as === 'as float32' ? ' (or leave half weights on)' : ''), source);
    }
  }
  if (backend.name === 'webgpu') {
    const maxBuffer = Number(backend.info.details.maxBufferSize);
    const half = webgpuHalf(backend, halfWeights);
    const need = webgpuWeightBytes(config, half);
    const [name, largest] = [...need].reduce((a, b) => (b[1] > a[1] ? b : a));
    if (largest > maxBuffer) {
      const shape = weightShapes(config).get(name)!;
      const total = [...need.values()].reduce((a, b) => a + b, 0);
      const options = [
        ...(halfWeights === false && backend.info.details['shader-f16'] === true && largest / 2 <= maxBuffer ? ['leave half weights on (float16 halves it)'] : []),
        ...(wasmWeightBytes(config, halfWeights) <= WASM_WEIGHT_BYTES ? ['use the wasm backend (--backend wasm)'] : []),
        'use a device with larger buffers', 'or a smaller model',
      ];
      throw new OsteonError('checkpoint', `${source}: ${name} [${shape}] takes ${bytes(largest)} ${half ? 'in float16' : 'as float32'}, ` +
        `more than this GPU's largest buffer (maxBufferSize ${bytes(maxBuffer)}), and every tensor must fit one buffer ` +
        `(the model's weights need ${bytes(total)} in all); ${options.join(', ')}`, source);
    }
  }
}

/** Will a training step of `batch` rows of `seq` tokens fit? Refuses a row longer than the model's context
 *  (max_position_embeddings), and activations beyond the backend's memory (wasm: 4 GiB with the weights;
 *  WebGPU: one activation beyond the largest buffer), naming the options that shrink them. The estimate
 *  counts what a layer's forward keeps for backward (LayerCache in runtime/model/llama.ts) in float32. */
export function checkTrainingFits(config: ModelConfig, backend: Pick<Backend, 'name' | 'info'>, o: { batch: number; seq: number; recompute: boolean; full?: boolean }, source: string): void {
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
  // Full fine-tuning keeps four float32 copies of every weight: the weight, its gradient, AdamW's two moments.
  const weightBytes = (o.full ? 16 : 4) * weightCount(config);
  if (o.full && backend.name === 'wasm' && weightBytes > 4 * 1024 ** 3) {
    throw new OsteonError('finetune', `full fine-tuning keeps the weights, their gradients and AdamW's two moments in float32, ` +
      `${bytes(weightBytes)} for this model, more than the wasm backend's 4 GiB; train an adapter instead (--method bone), or use the webgpu backend (--backend webgpu)`);
  }
  if (backend.name === 'wasm' && activations + weightBytes > 4 * 1024 ** 3) {
    throw new OsteonError('finetune', `batch (--batch)=${o.batch} x seq (--seq)=${o.seq} needs about ${bytes(activations)} of activations ` +
      `beside ${bytes(weightBytes)} of weights${o.full ? ' and their training state' : ''}, more than the wasm backend's 4 GiB; ${smaller}, or the webgpu backend (--backend webgpu)`);
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
