// The kernels module for WebAssembly threads (build/kernels-threads.wasm): the same kernels as asm/kernels,
// built on an imported shared memory (asconfig.json here) so that the worker threads of
// runtime/wasm/threads.ts can each instantiate it over the tensors of the main thread. Only the main thread's
// instance allocates (heap.ts); workers only run kernels on their part (asm/kernels/parts.ts).
export * from '../kernels/index';
