// The platform-neutral public API of osteon.
export type { Backend, BackendInfo, BackendName, MatmulOptions, Tensor } from './backend.js';
export { ReferenceBackend } from './reference/backend.js';
export { readSafetensors, writeSafetensors } from './safetensors.js';
export type { SafetensorsFile, StoredTensor, DType } from './safetensors.js';
