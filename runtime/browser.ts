// Browser entry point: WebGPU is `navigator.gpu`; everything else is platform-neutral.
export * from './index.js';
