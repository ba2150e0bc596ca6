// Every matmul kernel variant (gpu/matmul.ts): each design, the tiled one in each tile shape, and float16
// arithmetic in each tile, against a float64 product of the same values, over odd shapes (1, 3, 65, 130:
// single elements, partial vec4s, partial tiles, slices and subgroup chunks), every transpose, float32 and
// float16 operands, batches with strides, and padded leading dimensions at aligned and unaligned offsets;
// the whole of C is compared, so a write past a tile's edge fails too. The tests that run every op on every
// backend (tests/helpers.ts) cover the designs in their default tile only.
// Without an adapter the suite is skipped visibly, or fails when OSTEON_REQUIRE_WEBGPU=1 (tests/helpers.ts);
// it never passes on a fake device.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '../runtime/backend.js';
import { type WebGPUBackend, createWebGPUBackend } from '../gpu/backend.js';
import type { KernelVariants } from '../gpu/device.js';
import { type Operand, encodeMatmul, matmulKernelChoice } from '../gpu/matmul.js';
import { VARIANT_CHOICES, describeVariants, missingFeature } from '../gpu/variants.js';
import { F32_REL, HALF_REL } from './tolerances.js';
import { randomArray, relError, testBackends } from './helpers.js';

const variants = suite('matmul variants');
let gpu: WebGPUBackend | null = null;
variants.before(async () => {
  // A backend of its own: the test switches its context's variants between launches. testBackends() first:
  // it fails the run when OSTEON_REQUIRE_WEBGPU=1 and there is no adapter, so this suite never passes empty.
  await testBackends();
  gpu = await createWebGPUBackend({ variants: { matmul: 'blocked' } });
  if (!gpu) console.warn('skipped: no WebGPU adapter (tests/matmul-variants.test.ts)');
});
variants.after(() => gpu?.destroy());

/** Every variant that launches a kernel of its own: float32 arithmetic in each design (the tiled one in
 *  each tile), float16 arithmetic (which only products with a float16 operand use) in each tile. */
function everyVariant(): KernelVariants[] {
  const all: KernelVariants[] = [
    { matmul: 'blocked', matmulTile: '64x64', halfMath: 'f32', attention: 'rows' },
    ...VARIANT_CHOICES.matmulTile.map((matmulTile): KernelVariants => ({ matmul: 'tiled', matmulTile, halfMath: 'f32', attention: 'rows' })),
    { matmul: 'subgroup', matmulTile: '64x64', halfMath: 'f32', attention: 'rows' },
    ...VARIANT_CHOICES.matmulTile.map((matmulTile): KernelVariants => ({ matmul: 'tiled', matmulTile, halfMath: 'f16', attention: 'rows' })),
  ];
  return all.filter((v) => {
    const missing = missingFeature(v, gpu!.ctx);
    if (missing) console.warn(`skipped: ${describeVariants(v)} (${missing})`);
    return !missing;
  });
}

/** One operand's storage: a float32 or float16 buffer holding `batch` [rows, cols] matrices at `offset`,
 *  `ld` apart by row and `stride` apart by matrix, and the values it holds (float16-rounded where half). */
interface Stored { tensor: Tensor; values: Float32Array; operand: Operand }

/** Aligned: ld, offset and stride multiples of 4 (the vec4 path); else odd (the unaligned one); either way
 *  with padding between rows and matrices that the product must leave alone. */
async function stored(be: WebGPUBackend, rows: number, cols: number, batch: number, aligned: boolean, half: boolean, seed: number): Promise<Stored> {
  const ld = aligned ? Math.ceil(cols / 4) * 4 : cols + 1;
  const offset = aligned ? 4 : 3;
  const stride = aligned ? Math.ceil((rows * ld + 1) / 4) * 4 : rows * ld + 1;
  const size = offset + batch * stride + 5;
  const data = randomArray(size, seed);
  const tensor = half ? be.weight([size], data, 'half operand') : be.tensor([size], data, 'operand');
  assert.is(tensor.dtype, half ? 'float16' : 'float32');
  const buffer = (tensor as unknown as { buffer: GPUBuffer }).buffer;
  return { tensor, values: await be.read(tensor), operand: { buffer, ld, offset, stride } };
}

interface Case { m: number; n: number; k: number; batch: number; transA: boolean; transB: boolean; halfA: boolean; halfB: boolean;
  aligned: boolean; accumulate: boolean; alpha: number }

/** C (=|+=) alpha op(A) op(B) in float64 on the stored values, over the whole buffer of C. */
function expected(cs: Case, a: Stored, b: Stored, c: Stored): Float32Array {
  const out = Float64Array.from(c.values);
  const at = (s: Stored, z: number, r: number, col: number) => s.values[s.operand.offset + z * s.operand.stride + r * s.operand.ld + col];
  for (let z = 0; z < cs.batch; z++) {
    for (let i = 0; i < cs.m; i++) {
      for (let j = 0; j < cs.n; j++) {
        let sum = 0;
        for (let kk = 0; kk < cs.k; kk++) sum += (cs.transA ? at(a, z, kk, i) : at(a, z, i, kk)) * (cs.transB ? at(b, z, j, kk) : at(b, z, kk, j));
        const e = c.operand.offset + z * c.operand.stride + i * c.operand.ld + j;
        out[e] = cs.alpha * sum + (cs.accumulate ? out[e] : 0);
      }
    }
  }
  return Float32Array.from(out);
}

/** Shapes (M, N, K) and batches: each runs through every pipeline below. */
const SHAPES = [
  { m: 1, n: 3, k: 1, batch: 1 },
  { m: 3, n: 65, k: 130, batch: 2 },
  { m: 65, n: 130, k: 3, batch: 1 },
  { m: 130, n: 130, k: 65, batch: 2 },
];

/** Float16 operands (A, B). */
const TYPES = [[false, false], [true, false], [false, true], [true, true]];

variants('every matmul variant: odd shapes, every transpose, float16 operands, batches, offsets and padding', async () => {
  if (!gpu) return;
  const be = gpu;
  const ctx = be.ctx;
  for (const [index, v] of everyVariant().entries()) {
    Object.assign(ctx.variants, v);
    // One pipeline per transpose (a cold pipeline takes seconds on lavapipe), the operand types and layout
    // turning with the transpose and the variant, so that each variant meets both layouts and (float16
    // arithmetic, which only products with a float16 operand use, aside) every operand type; the operand
    // loads they select are the same code in every design (matmul.ts operand, matmulCommon.wgsl).
    const types = v.halfMath === 'f16' ? TYPES.slice(1) : TYPES;
    let seed = 0;
    for (const [t, [transA, transB]] of [[false, false], [false, true], [true, false], [true, true]].entries()) {
      const [halfA, halfB] = types[(index + t) % types.length];
      const aligned = (index + t) % 2 === 0;
      for (const s of SHAPES) {
        const cs: Case = { ...s, transA, transB, halfA, halfB, aligned, accumulate: seed % 2 === 1, alpha: seed % 3 === 0 ? 1 : 0.5 };
        const { m, n, k, batch } = cs;
        const a = await stored(be, transA ? k : m, transA ? m : k, batch, aligned, halfA, ++seed);
        const b = await stored(be, transB ? n : k, transB ? k : n, batch, aligned, halfB, ++seed);
        const c = await stored(be, m, n, batch, aligned, false, ++seed);
        const what = `${describeVariants(v)}: ${batch} x ${m}x${n}x${k} transA=${transA} transB=${transB} halfA=${halfA} halfB=${halfB} aligned=${aligned}`;
        const design = matmulKernelChoice(v, cs);
        assert.is(design.element, v.halfMath === 'f16' ? 'f16' : 'f32', what);
        encodeMatmul(ctx, what, { ...cs, a: a.operand, b: b.operand, c: c.operand });
        const err = relError(await be.read(c.tensor), expected(cs, a, b, c));
        const tolerance = design.element === 'f16' ? HALF_REL : F32_REL;
        assert.ok(err <= tolerance, `${what}: rel err ${err.toExponential(2)} > ${tolerance}`);
        for (const x of [a, b, c]) be.dispose(x.tensor);
      }
    }
  }
});

variants('float32 products never take float16 arithmetic', () => {
  const v: KernelVariants = { matmul: 'subgroup', matmulTile: '128x64', halfMath: 'f16', attention: 'rows' };
  assert.equal(matmulKernelChoice(v, {}), { design: 'subgroup', tile: '128x64', element: 'f32' });
  assert.equal(matmulKernelChoice(v, { halfB: true }), { design: 'tiled', tile: '128x64', element: 'f16' });
  assert.equal(matmulKernelChoice({ ...v, halfMath: 'f32' }, { halfA: true }), { design: 'subgroup', tile: '128x64', element: 'f32' });
});

variants.run();
