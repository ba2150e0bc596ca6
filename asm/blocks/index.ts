// The block index plan as its own small module (build/blocks.wasm): the functions of plan.ts, for the WebGPU
// launchers (runtime/blocks.ts loads it). The kernels module compiles the same file in.
export * from './plan';
