// Picking a backend: WebGPU when a hardware adapter exists, otherwise WebAssembly: a software adapter
// (lavapipe, SwiftShader) runs shaders on the same CPU several times slower than the WebAssembly kernels, so
// it is used only when asked for. Overridden by the `backend` option, or by the OSTEON_BACKEND environment
// variable (webgpu | wasm | reference) where one exists.
import type { Backend, BackendName } from './backend.js';
import { OsteonError } from './errors.js';
import { ReferenceBackend } from './reference/backend.js';
import { createWasmBackend } from './wasm/backend.js';
import { createWebGPUBackend } from '../gpu/backend.js';
import { describeVariants, pickableVariants } from '../gpu/variants.js';

export type BackendChoice = BackendName | 'auto';

const CHOICES: BackendChoice[] = ['auto', 'webgpu', 'wasm', 'reference'];

function fromEnvironment(): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.OSTEON_BACKEND;
}

/** Parse a user's backend choice; throws naming the accepted values. */
export function parseBackendChoice(value: string | undefined, source = 'backend'): BackendChoice {
  const v = (value ?? 'auto').trim().toLowerCase() as BackendChoice;
  if (!CHOICES.includes(v)) throw new OsteonError('backend', `${source}=${JSON.stringify(value)} is not one of ${CHOICES.join(', ')}`);
  return v;
}

export async function createBackend(options: { backend?: BackendChoice } = {}): Promise<Backend> {
  const env = fromEnvironment();
  // An empty OSTEON_BACKEND= (a shell default, a CI matrix slot left blank) means automatic.
  const choice = options.backend ?? parseBackendChoice(env?.trim() || 'auto', 'OSTEON_BACKEND');
  if (choice === 'reference') return new ReferenceBackend();
  if (choice === 'wasm') return createWasmBackend();
  const gpu = await createWebGPUBackend();
  if (gpu && (choice === 'webgpu' || !gpu.ctx.software)) return gpu;
  gpu?.destroy();
  if (choice === 'webgpu') {
    throw new Error('[backend] webgpu was requested but no WebGPU adapter is available ' +
      '(install a Vulkan driver, e.g. Mesa lavapipe, or use OSTEON_BACKEND=wasm)');
  }
  return createWasmBackend();
}

/** Every backend that can be created here, for reports such as `osteon doctor`; with `everyVariant`, also
 *  a WebGPU backend for each kernel variant the adapter may pick and its own choice leaves out (after it in
 *  the list): gpu/variants.ts pickableVariants. */
export async function availableBackends(everyVariant = false): Promise<Backend[]> {
  const list: Backend[] = [];
  const gpu = await createWebGPUBackend();
  if (gpu) list.push(gpu);
  if (gpu && everyVariant) {
    const own = describeVariants(gpu.ctx.variants);
    for (const variants of pickableVariants(gpu.ctx).filter((v) => describeVariants(v) !== own)) {
      const other = await createWebGPUBackend({ variants });
      if (other) list.push(other);
    }
  }
  list.push(await createWasmBackend());
  return list;
}
