// Shared test plumbing: which backends to run on, fixture loading, error measures.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Backend } from '../runtime/backend.js';
import { readSafetensors, toFloat32, type SafetensorsFile } from '../runtime/safetensors.js';
import { maxRelError } from '../runtime/doctor/fixture-case.js';
import { uniform } from '../runtime/adapters/random.js';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'fixtures');

export function loadFixture(relPath: string): SafetensorsFile {
  const p = join(fixturesDir, relPath);
  return readSafetensors(new Uint8Array(readFileSync(p)), p);
}

export function fixtureFloat(file: SafetensorsFile, name: string): Float32Array {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`fixture has no tensor ${name}`);
  return toFloat32(t);
}

export function peftCases(): string[] {
  return readdirSync(join(fixturesDir, 'peft')).filter((f) => f.endsWith('.safetensors')).map((f) => f.replace('.safetensors', ''));
}

/** max|a - b| / max|b|: the project's one error measure (NaN counts as infinitely wrong). */
export const relError = (a: ArrayLike<number>, b: ArrayLike<number>) => maxRelError(Float32Array.from(a), Float32Array.from(b));

/** loadModel options for tests that hold WebGPU to the float32 tolerances: float32 weights (half-precision
 *  weights are tested against their own tolerance in tests/half.test.ts). */
export const F32_WEIGHTS = { halfWeights: false } as const;

/** Eight pre-tokenized rows of 16 tokens for the fixture models (vocabulary 300), the first 4 not scored. */
export const FIXTURE_ROWS = Array.from({ length: 8 }, (_, i) => ({
  input_ids: Array.from({ length: 16 }, (_, t) => (i * 37 + t * 11) % 300),
  labels: Array.from({ length: 16 }, (_, t) => (t < 4 ? -100 : (i * 37 + t * 11) % 300)),
}));

/** Deterministic pseudo-random floats in [-1, 1). */
export const randomArray = (n: number, seed: number) => uniform(n, -1, 1, seed);


import { ReferenceBackend } from '../runtime/reference/backend.js';
import { createWasmBackend } from '../runtime/wasm/backend.js';
import { createWebGPUBackend } from '../gpu/backend.js';
import type { GpuContext, KernelVariants } from '../gpu/device.js';
import { missingFeature } from '../gpu/variants.js';
import '../runtime/node.js'; // installs Dawn as the GPU provider (gpu/provider.ts) in Node

// One instance of each backend for the whole test run (every test file is its own bundle, so the cache
// lives on globalThis); tests/run.ts destroys them at the end so that Dawn lets the process exit.
interface Shared { backends?: Promise<Backend[]> }
const shared = globalThis as unknown as { __osteonTest?: Shared };

/** Every backend this machine offers. WebGPU missing is a visible skip, or a failure when
 *  OSTEON_REQUIRE_WEBGPU=1 (CI installs a software adapter, so there it must exist). */
export function testBackends(): Promise<Backend[]> {
  const s = (shared.__osteonTest ??= {});
  return (s.backends ??= (async () => {
    // OSTEON_BACKEND=wasm|webgpu narrows the run to the reference plus that backend.
    const only = process.env.OSTEON_BACKEND;
    const list: Backend[] = [new ReferenceBackend()];
    if (only !== 'webgpu') list.push(await createWasmBackend());
    if (only === 'wasm') return list;
    const gpu = await createWebGPUBackend();
    if (gpu) {
      list.push(gpu);
      // Every kernel design passes the same tests: more WebGPU backends with the matmul and attention designs
      // this adapter does not pick by default, the subgroup one with float16 arithmetic for products with a
      // float16 operand where the adapter has both (unless OSTEON_KERNELS forces variants for the whole run).
      // Each design in its default tile: tests/matmul-variants.test.ts sweeps every tile.
      if (!process.env.OSTEON_KERNELS) {
        for (const variants of otherDesigns(gpu.ctx)) {
          const other = await createWebGPUBackend({ variants });
          if (other) list.push(other);
        }
      }
    } else if (process.env.OSTEON_REQUIRE_WEBGPU === '1') {
      throw new Error('OSTEON_REQUIRE_WEBGPU=1 but no WebGPU adapter was found (install a Vulkan driver: see README)');
    } else {
      console.warn('skipped: no WebGPU adapter (WebGPU tests run on reference and wasm only)');
    }
    return list;
  })());
}

/** The matmul designs (and float16 arithmetic) that the adapter's own choice leaves out and it can run,
 *  each with the attention design it leaves out. */
function otherDesigns(ctx: GpuContext): Partial<KernelVariants>[] {
  const attention = ctx.variants.attention === 'tiled' ? 'rows' : 'tiled';
  const subgroup: Partial<KernelVariants> = { matmul: 'subgroup', ...(ctx.hasF16 ? { halfMath: 'f16' } : {}) };
  const designs: Partial<KernelVariants>[] = [{ matmul: 'blocked' }, { matmul: 'tiled' }, subgroup];
  return designs.filter((v) => v.matmul !== ctx.variants.matmul && !missingFeature({ ...ctx.variants, ...v }, ctx))
    .map((v) => ({ ...v, attention }));
}

/** The fast backends (everything but the reference). */
export async function fastBackends(): Promise<Backend[]> {
  return (await testBackends()).filter((b) => b.name !== 'reference');
}

export async function closeTestBackends(): Promise<void> {
  const s = shared.__osteonTest;
  if (!s?.backends) return;
  for (const b of await s.backends) b.destroy();
}
