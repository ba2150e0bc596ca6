// The kernels of half.wgsl: widen a float16 tensor into a float32 one and narrow a float32 tensor into a
// float16 one (the backend's weight/copy/read/write of half-precision weights, and the float32 temporaries
// of ops that do not read float16 themselves), one invocation per pair of elements, and the pieces a
// conversion of a tensor over one binding is split into. Sizes are checked by the caller.
import { type GpuContext, rowWindow } from './device.js';
import { type Kernel, kernel } from './kernel.js';
import src from './half.wgsl';

const common = { module: 'half.wgsl', source: src, wg: 64, u32: (count: number) => [count], size: (count: number) => Math.ceil(count / 2) };

/** wide[e] = half[e] for `count` elements. */
export const WIDEN = kernel({ ...common, name: 'half widen', entry: 'widen', bindings: ['half', 'wide'] });
/** half[e] = wide[e] rounded to float16, for `count` elements. */
export const NARROW = kernel({ ...common, name: 'half narrow', entry: 'narrow', bindings: ['wide', 'half'] });

export interface Piece { e0: number; n: number }

/** The window of a piece's elements in a buffer of `elementBytes`-byte elements, or the whole buffer when the
 *  conversion is one piece. */
export const pieceOf = (b: GPUBuffer, p: Piece, count: number, elementBytes: 2 | 4): GPUBuffer | GPUBufferBinding =>
  p.n === count ? b : rowWindow(b, p.e0, p.n, 1, elementBytes);

/** `label`, with the piece's elements when the conversion has more than one. */
export const pieceLabel = (label: string, p: Piece, count: number): string =>
  p.n === count ? label : `${label} (elements ${p.e0}+${p.n})`;

/** Element ranges [e0, e0 + n) of a conversion of `count` elements: one when the float32 side fits one
 *  binding, else pieces whose float32 side does, starting at multiples of minStorageBufferOffsetAlignment / 2
 *  elements so that both sides' windows start aligned (float16 elements take 2 bytes, float32 ones 4). */
export function pieces(ctx: GpuContext, count: number): Piece[] {
  const step = ctx.device.limits.minStorageBufferOffsetAlignment / 2;
  const most = count * 4 <= ctx.maxBinding ? count : Math.floor(ctx.maxBinding / 4 / step) * step;
  const out = [];
  for (let e0 = 0; e0 < count; e0 += most) out.push({ e0, n: Math.min(most, count - e0) });
  return out;
}

/** Convert `count` elements of `src` into `dst` with WIDEN (float16 to float32) or NARROW (the reverse), a
 *  piece at a time when the float32 side exceeds one binding. */
export function convert(ctx: GpuContext, k: Kernel<number>, label: string, src: GPUBuffer, dst: GPUBuffer, count: number): void {
  const [srcBytes, dstBytes] = k === WIDEN ? [2, 4] as const : [4, 2] as const;
  for (const p of pieces(ctx, count)) {
    ctx.launch(k, pieceLabel(label, p, count), p.n, [pieceOf(src, p, count, srcBytes), pieceOf(dst, p, count, dstBytes)]);
  }
}
