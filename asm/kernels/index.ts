// The kernels module (build/kernels.wasm, and build/kernels-threads.wasm on shared memory): tensor memory
// management and every op's SIMD kernel. All pointers are byte offsets into this module's linear memory and
// all sizes are element counts, checked by runtime/checked.ts before any call; the kernels trust them.
// Kernels that threads share take (chunk, chunks, thread) last (parts.ts).
export { alloc, free } from './heap';
export { PACK_BYTES, matmul } from './matmul';
export { fold, tile } from './fold';
export { blockDelta } from './merge';
export { BAT_GROUP, blockAffine, batGrad } from './bat';
export { embedding, embeddingBackward } from './embedding';
export { bf16ToHalf, narrow, widen } from './half';
export { rmsNorm, rmsNormBackward, rmsNormWeightGrad } from './rmsNorm';
export { rope } from './rope';
export { attention, attentionBackward, attentionDecode, attentionDecodeAppend, attentionScratch } from './attention';
export { swiglu, swigluBackward, add, dropout } from './elementwise';
export { crossEntropy } from './crossEntropy';
export { adamw, sumSquares } from './optimizer';
