// The matmul kernels: C (=|+=) alpha op(A) op(B) on sub-matrices given by leading dimension, offset
// and batch stride. Backend.matmul uses it on whole tensors (matmulTensors), splitting the product into
// blocks of rows when an operand is larger than one binding (the vocabulary projection of a large
// vocabulary); batGrad (bat.ts) uses it on a column slice of g.
// Three designs (the context's variants.matmul), with the same bindings and parameters: register-blocked for
// CPU drivers (matmul.wgsl), workgroup-tiled for hardware GPUs (matmulTiled.wgsl, in the tile shape of
// variants.matmulTile), and subgroup-shared operands (matmulSubgroup.wgsl, adapters with `subgroups`).
// One pipeline per (design, tile, tile element type, transA, transB, aligned, float16 A, float16 B) variant
// of the template; a float16 operand (a half-precision weight, gpu/half.wgsl layout) is windowed like a
// float32 one, by rows of 2-byte elements. It checks nothing about shapes: callers have (runtime/shapes.ts
// matmulDims).
import { type GpuContext, type KernelVariants, rowWindow, rowsPerWindow } from './device.js';
import { type Kernel, params } from './kernel.js';
import { MATMUL_TILES, type MatmulTileName, tileConstants } from './matmulTiles.js';
import blockedSrc from './matmul.wgsl';
import tiledSrc from './matmulTiled.wgsl';
import subgroupSrc from './matmulSubgroup.wgsl';
import common from './matmulCommon.wgsl';

/** The blocked design: 8 x 8 invocations of 8 x 8 outputs, 64 x 64 per workgroup. */
const BLOCKED = { wg: 8, rows: 64, cols: 64 };
/** The subgroup design: 64 invocations of 8 x 4 outputs, 8 x 256 per workgroup. */
const SUBGROUP = { wg: 64, rows: 8, cols: 256 };

export interface Operand { buffer: GPUBuffer | GPUBufferBinding; ld: number; offset: number; stride: number }

export interface MatmulCall {
  a: Operand; b: Operand; c: Operand;
  /** The operand is float16 (two elements per u32 word) instead of float32. */
  halfA?: boolean; halfB?: boolean;
  batch: number; m: number; n: number; k: number;
  transA: boolean; transB: boolean; alpha: number; accumulate: boolean;
}

/** Binding `binding` named `x` with its loads (see matmul.wgsl): four elements from e, and one. */
function operand(x: 'a' | 'b', binding: number, half: boolean): string {
  const X = x.toUpperCase();
  const decl = `@group(0) @binding(${binding}) var<storage, read> ${x}: array<${half ? 'u32' : 'vec4<f32>'}>;\n`;
  if (!half) {
    return decl + `fn load${X}(e: u32) -> vec4<f32> {
  if (ALIGNED) { return ${x}[e >> 2u]; }
  return run4(${x}[e >> 2u], ${x}[(e >> 2u) + 1u], e & 3u);
}
fn one${X}(e: u32) -> f32 { return ${x}[e >> 2u][e & 3u]; }
`;
  }
  return decl + `fn one${X}(e: u32) -> f32 { return unpack2x16float(${x}[e >> 1u])[e & 1u]; }
fn load${X}(e: u32) -> vec4<f32> {
  if (ALIGNED) { return vec4(unpack2x16float(${x}[e >> 1u]), unpack2x16float(${x}[(e >> 1u) + 1u])); }
  return vec4(one${X}(e), one${X}(e + 1u), one${X}(e + 2u), one${X}(e + 3u));
}
`;
}

const aligned = (o: Operand) => o.ld % 4 === 0 && o.offset % 4 === 0 && o.stride % 4 === 0;

/** The kernel of a call: its design, the tile of the tiled design, and the element type of its tiles and
 *  products (sums are f32 in every kernel). */
export interface MatmulKernelChoice {
  design: KernelVariants['matmul'];
  tile: MatmulTileName;
  element: 'f32' | 'f16';
}

/** The design of variants.matmul with f32 arithmetic, except that halfMath 'f16' sends products with a
 *  float16 operand to the tiled design with f16 tiles and products. Only those: f16 arithmetic rounds the
 *  other operand (activations, gradients) to float16, which a product with a float16 weight already pays
 *  for in accuracy (HALF_REL), but a float32 product, held to F32_REL, must not. (A value or product past
 *  float16's range, 65504, becomes infinite there: the price of the variant, which tuning picks only where
 *  it is faster.) */
export function matmulKernelChoice(v: KernelVariants, call: Pick<MatmulCall, 'halfA' | 'halfB'>): MatmulKernelChoice {
  const f16 = v.halfMath === 'f16' && (!!call.halfA || !!call.halfB);
  return { design: f16 ? 'tiled' : v.matmul, tile: v.matmulTile, element: f16 ? 'f16' : 'f32' };
}

/** The matmul kernel of one variant: the design's template with the operand loads of the call (and the tile
 *  shape and element type of the tiled design), built on first use. */
function matmulKernel({ design, tile, element }: MatmulKernelChoice, transA: boolean, transB: boolean, align: boolean,
  halfA: boolean, halfB: boolean): Kernel<MatmulCall> {
  const types = `a=${halfA ? 'f16' : 'f32'} b=${halfB ? 'f16' : 'f32'}`;
  const shape = design === 'tiled' ? ` ${tile} ${element} tiles` : '';
  const name = `matmul ${design}${shape} transA=${transA} transB=${transB} aligned=${align} ${types}`;
  const t = MATMUL_TILES[tile];
  const { wg, rows, cols } = design === 'blocked' ? BLOCKED : design === 'subgroup' ? SUBGROUP
    : { wg: t.cols / t.blockCols, rows: t.rows, cols: t.cols };
  const enables = (element === 'f16' ? 'enable f16;\n' : '') + (design === 'subgroup' ? 'enable subgroups;\n' : '');
  const body = design === 'blocked' ? blockedSrc : design === 'subgroup' ? subgroupSrc : tileConstants(tile, element) + tiledSrc;
  const file = design === 'blocked' ? 'matmul' : design === 'subgroup' ? 'matmulSubgroup' : 'matmulTiled';
  const constants = { TRANS_A: +transA, TRANS_B: +transB, ALIGNED: +align };
  return {
    name, module: `${file}.wgsl${shape} ${types}`, entry: 'main', wg,
    get source() { return enables + common + operand('a', 1, halfA) + operand('b', 2, halfB) + body; },
    constants: design === 'blocked' ? { ...constants, WG_X: wg, WG_Y: wg } : constants,
    bindings: ['a', 'b', 'c'],
    params: ({ a, b, c, m, n, k, accumulate, alpha }) => params(
      [m, n, k, a.ld, b.ld, c.ld, a.offset, b.offset, c.offset, a.stride, b.stride, c.stride, +accumulate], [alpha]),
    size: ({ m, n, batch }) => [Math.ceil(n / cols), Math.ceil(m / rows), batch],
  };
}

/** C (=|+=) alpha op(A) op(B) on the sub-matrices the operands describe. */
export function encodeMatmul(ctx: GpuContext, label: string, call: MatmulCall): void {
  const { m, n, batch } = call;
  if (m === 0 || n === 0 || batch === 0) return;
  const k = matmulKernel(matmulKernelChoice(ctx.variants, call), call.transA, call.transB, aligned(call.a) && aligned(call.b),
    !!call.halfA, !!call.halfB);
  const groups = k.size(call) as readonly number[];
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups.some((g) => g > max)) {
    throw new Error(`[matmul] ${label}: ${batch} x ${m} x ${n} needs ${groups.join(' x ')} workgroups, over this ` +
      `device's ${max} per dimension: split the batch or the rows`);
  }
  ctx.launch(k, label, call, [call.a.buffer, call.b.buffer, call.c.buffer]);
}

/** C (=|+=) alpha op(A) op(B) on whole row-major tensors, A stored [M, K] ([K, M] with transA), B stored
 *  [K, N] ([N, K] with transB), C [M, N]. An operand over the binding limit is bound a window of rows at a
 *  time: the product is split into blocks of M (rows of C, and of A unless transposed), N (rows of B when
 *  transposed) and K (rows of A when transposed, of B when not), the K blocks accumulating into C. */
export function matmulTensors(ctx: GpuContext, label: string, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, call: Omit<MatmulCall, 'a' | 'b' | 'c'>): void {
  const { m, n, k, batch, transA, transB } = call;
  const whole = (buffer: GPUBuffer, rows: number, cols: number) => ({ buffer, ld: cols, offset: 0, stride: rows * cols });
  const limit = ctx.maxBinding;
  if (a.size <= limit && b.size <= limit && c.size <= limit) {
    encodeMatmul(ctx, label, {
      ...call, a: transA ? whole(a, k, m) : whole(a, m, k), b: transB ? whole(b, n, k) : whole(b, k, n), c: whole(c, m, n),
    });
    return;
  }
  if (batch !== 1) {
    throw new Error(`[matmul] ${label}: a batch of ${batch} products with an operand over the binding limit of ${limit} ` +
      'bytes; split the batch into separate matmul calls');
  }
  // Each of M, N and K is split into blocks that every tensor stored with that many rows (C and A by M unless
  // A is transposed, B by N when transposed, A and B by K otherwise) windows at aligned starts.
  const ea = call.halfA ? 2 : 4, eb = call.halfB ? 2 : 4;
  const A = { bytes: a.size, cols: transA ? m : k, elementBytes: ea } as const;
  const B = { bytes: b.size, cols: transB ? k : n, elementBytes: eb } as const;
  const C = { bytes: c.size, cols: n, elementBytes: 4 } as const;
  const mc = rowsPerWindow(ctx, m, transA ? [C] : [C, A], `${label}: M`);
  const nc = transB ? rowsPerWindow(ctx, n, [B], `${label}: N`) : n;
  const kc = rowsPerWindow(ctx, k, [...(transA ? [A] : []), ...(transB ? [] : [B])], `${label}: k`);
  // Stored rows [row0, row0 + rows) of a [*, cols] tensor, from column col0: a window when the tensor
  // does not fit one binding, else the whole buffer with the rows folded into the offset.
  const part = (t: GPUBuffer, row0: number, rows: number, cols: number, col0: number, elementBytes: 2 | 4): Operand => (t.size <= limit
    ? { buffer: t, ld: cols, offset: row0 * cols + col0, stride: 0 }
    : { buffer: rowWindow(t, row0, rows, cols, elementBytes), ld: cols, offset: col0, stride: 0 });
  for (let m0 = 0; m0 < m; m0 += mc) {
    const mr = Math.min(mc, m - m0);
    for (let n0 = 0; n0 < n; n0 += nc) {
      const nr = Math.min(nc, n - n0);
      for (let k0 = 0; k0 < k; k0 += kc) {
        const kr = Math.min(kc, k - k0);
        encodeMatmul(ctx, `${label} (rows ${m0}+${mr}, cols ${n0}+${nr}, k ${k0}+${kr})`, {
          ...call, m: mr, n: nr, k: kr, accumulate: call.accumulate || k0 > 0,
          a: transA ? part(a, k0, kr, m, m0, ea) : part(a, m0, mr, k, k0, ea),
          b: transB ? part(b, n0, nr, k, k0, eb) : part(b, k0, kr, n, n0, eb),
          c: part(c, m0, mr, n, n0, 4),
        });
      }
    }
  }
}
