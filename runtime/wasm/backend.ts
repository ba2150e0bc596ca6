// PLACEHOLDER until the wasm backend lands.
import type { Backend } from '../backend.js';
export async function createWasmBackend(): Promise<Backend> {
  throw new Error('[wasm] not built yet');
}
