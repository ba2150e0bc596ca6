// PLACEHOLDER until the WebGPU backend lands: reports no adapter.
import type { Backend } from '../runtime/backend.js';
export async function createWebGPUBackend(): Promise<Backend | null> {
  return null;
}
