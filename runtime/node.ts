// Node entry point: WebGPU through Dawn (the `webgpu` package), WebAssembly threads through worker_threads,
// paths on disk for the API's sources, the kernel-variant cache in a file, then everything platform-neutral.
import { create, globals } from 'webgpu';
import { setGPUFactory } from '../gpu/provider.js';
import { setTuningStore } from '../gpu/tuning.js';
import { nodeTuningStore } from './node-tuning.js';
import { setThreadHost } from './wasm/threads.js';
import { nodeThreadHost } from './wasm/node-threads.js';
import { setLocalFiles } from './api/sources.js';
import { nodeLocalFiles } from './model/node-files.js';

setGPUFactory(() => {
  Object.assign(globalThis, globals); // GPUBufferUsage, GPUShaderStage, ... as in browsers
  return create([]);
});
setTuningStore(nodeTuningStore());
setThreadHost(nodeThreadHost);
setLocalFiles(nodeLocalFiles);

export * from './index.js';
export { nodeFiles, writeFiles, folderStore, claimOutFolder } from './model/node-files.js';
