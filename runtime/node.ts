// Node entry point: WebGPU through Dawn (the `webgpu` package), then everything platform-neutral.
import { create, globals } from 'webgpu';
import { setGPUFactory } from '../gpu/provider.js';

setGPUFactory(() => {
  Object.assign(globalThis, globals); // GPUBufferUsage, GPUShaderStage, ... as in browsers
  return create([]);
});

export * from './index.js';
export { nodeFiles, writeFiles } from './model/node-files.js';
