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
