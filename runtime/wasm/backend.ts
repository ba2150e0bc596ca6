// PLACEHOLDER until the wasm backend lands: the reference ops stand in so the test suite runs.
import type { Backend } from '../backend.js';
import { ReferenceBackend } from '../reference/backend.js';
export async function createWasmBackend(): Promise<Backend> {
  return new ReferenceBackend();
}
