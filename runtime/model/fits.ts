// Will the model's weights fit the backend? Answered from config.json alone, before a byte of the weights
// is read, so a model too large for this device fails at once with its size, the limit and what to do,
// rather than after minutes of loading (or with a bare allocation error).
// WebAssembly keeps every weight as float32 in one memory of at most 4 GiB (wasm32), beside activations and
// the adapter; WebGPU stores each tensor in one buffer of at most maxBufferSize bytes, in float16 where the
// device has shader-f16 and the tensor fits one binding (gpu/backend.ts `weight`), else float32.
import type { Backend } from '../backend.js';
import type { ModelConfig } from './config.js';
import { weightShapes } from './llama.js';

const GiB = 2 ** 30;
/** WebAssembly memory that weights may take: 4 GiB less room for activations, the adapter and scratch. */
const WASM_WEIGHT_BYTES = 3.5 * GiB;

const gib = (bytes: number) => `${(bytes / GiB).toFixed(2)} GiB`;

export function checkModelFits(config: ModelConfig, backend: Backend, source: string, halfWeights: boolean): void {
  const shapes = [...weightShapes(config)].map(([name, shape]) => ({ name, shape, size: shape.reduce((a, b) => a * b, 1) }));
  if (backend.name === 'wasm') {
    const bytes = shapes.reduce((s, t) => s + 4 * t.size, 0);
    if (bytes > WASM_WEIGHT_BYTES) {
      throw new Error(`[model] ${source} needs ${gib(bytes)} for its weights in float32, more than WebAssembly's 4 GiB memory ` +
        `holds beside the activations (at most ${gib(WASM_WEIGHT_BYTES)} of weights); use the webgpu backend or a smaller model`);
    }
  }
  if (backend.name === 'webgpu') {
    const d = backend.info.details;
    const maxBuffer = Number(d.maxBufferSize), maxBinding = Number(d.maxStorageBufferBindingSize);
    const half = halfWeights && d['shader-f16'] === true;
    for (const t of shapes) {
      const bytes = half && t.shape.length === 2 && 4 * t.size <= maxBinding ? 2 * t.size : 4 * t.size;
      if (bytes > maxBuffer) {
        throw new Error(`[model] ${source}: ${t.name} [${t.shape}] takes ${gib(bytes)}, more than this GPU's largest buffer ` +
          `(maxBufferSize ${gib(maxBuffer)}); use the wasm backend, a device with larger buffers, or a smaller model`);
      }
    }
  }
}
