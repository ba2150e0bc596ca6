// The kernels module (build/kernels.wasm): tensor memory management and every op's SIMD kernel. All pointers
// are byte offsets into this module's linear memory and all sizes are element counts, checked by
// runtime/wasm/backend.ts before any call; the kernels trust them.
export { alloc, free } from './heap';
export { PACK_BYTES, matmul } from './matmul';
export { addBias } from './bias';
export { chunkSum, chunkScatterAdd } from './bone';
export { tileAdd, foldSum } from './mini';
export { blockDelta } from './merge';
export { blockAffine, batGrad } from './bat';
