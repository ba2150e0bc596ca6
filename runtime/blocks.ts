// The block index plan of asm/blocks/plan.ts on the TypeScript side: build/blocks.wasm, a module of a few
// hundred bytes, instantiated once on first use (compiled synchronously, as the tokenizer's module is) and
// typed by the compiler's generated build/blocks.d.ts. The WebGPU launchers take their dispatch sizes, block
// offsets and group sizes from it, and Bat's unmerge its block and diagonal offsets, so that block indexing
// is written once, in AssemblyScript, for the CPU kernels and the GPU alike. The reference backend
// (runtime/reference/ops.ts) deliberately indexes on its own: it is the independent oracle.
import bytes from '../build/blocks.wasm';
import type { instantiate } from '../build/blocks.js';

export type BlockPlan = Awaited<ReturnType<typeof instantiate>>;

let plan: BlockPlan | null = null;

/** The plan's functions (chunkCount, batStrip, batGroupBlocks, ...: asm/blocks/plan.ts). */
export function blockPlan(): BlockPlan {
  return (plan ??= new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {}).exports as unknown as BlockPlan);
}
