// Node entry point: WebGPU through Dawn (the `webgpu` package), WebAssembly threads through worker_threads,
// then everything platform-neutral.
import { create, globals } from 'webgpu';
import { setGPUFactory } from '../gpu/provider.js';
import { setThreadHost } from './wasm/threads.js';
import { nodeThreadHost } from './wasm/node-threads.js';

setGPUFactory(() => {
  Object.assign(globalThis, globals); // GPUBufferUsage, GPUShaderStage, ... as in browsers
  return create([]);
});
setThreadHost(nodeThreadHost);

export * from './index.js';
export { nodeFiles, writeFiles } from './model/node-files.js';
