// The platform-neutral public API of osteon (the same in Node and browsers).
export type { Backend, BackendInfo, BackendName, MatmulOptions, Tensor } from './backend.js';
export { ReferenceBackend } from './reference/backend.js';
export { createBackend, availableBackends, parseBackendChoice, type BackendChoice } from './select.js';
export { AdaptedLinear, type LayerAdapter, type LinearCache } from './adapters/linear.js';
export { checkConfig, parameterCount, type AdapterConfig, type Variant } from './adapters/config.js';
export { runDoctor, type DoctorReport } from './doctor/doctor.js';
export { runFixtureCase, maxRelError, type CaseResult } from './doctor/fixture-case.js';
export { readSafetensors, writeSafetensors, toFloat32, toInt32 } from './safetensors.js';
export type { SafetensorsFile, StoredTensor, DType, TensorToWrite } from './safetensors.js';
