// Picking a backend: WebGPU when an adapter exists, otherwise WebAssembly. Overridden by the `backend`
// option, or by the OSTEON_BACKEND environment variable (webgpu | wasm | reference) where one exists.
import type { BackendName } from './backend.js';
import { OsteonError } from './errors.js';
import type { TrainBackend } from './train/ops.js';
import type { GenerateBackend } from './generate/ops.js';
import { ReferenceBackend } from './reference/backend.js';
import { createWasmBackend } from './wasm/backend.js';
import { createWebGPUBackend } from '../gpu/backend.js';

export type BackendChoice = BackendName | 'auto';

/** What every backend implements: the adapter ops, the model ops, training and cached attention. */
export type FullBackend = TrainBackend & GenerateBackend;
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

export async function createBackend(options: { backend?: BackendChoice } = {}): Promise<FullBackend> {
  const env = fromEnvironment();
  // An empty OSTEON_BACKEND= (a shell default, a CI matrix slot left blank) means automatic.
  const choice = options.backend ?? parseBackendChoice(env?.trim() || 'auto', 'OSTEON_BACKEND');
  if (choice === 'reference') return new ReferenceBackend();
  if (choice === 'wasm') return createWasmBackend();
  const gpu = await createWebGPUBackend();
  if (gpu) return gpu;
  if (choice === 'webgpu') {
    throw new Error('[backend] webgpu was requested but no WebGPU adapter is available ' +
      '(install a Vulkan driver, e.g. Mesa lavapipe, or use OSTEON_BACKEND=wasm)');
  }
  return createWasmBackend();
}

/** Every backend that can be created here, for reports such as `osteon doctor`. */
export async function availableBackends(): Promise<FullBackend[]> {
  const list: FullBackend[] = [];
  const gpu = await createWebGPUBackend();
  if (gpu) list.push(gpu);
  list.push(await createWasmBackend());
  return list;
}
