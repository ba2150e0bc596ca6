// Launcher for rope.wgsl: builds the cos/sin table of positions[n] invFreq[i] in float64 on the CPU and
// uploads it to a reusable slot (reusable.ts). Every layer's q and k (and their gradients) use the same
// positions and frequencies, so the table is rebuilt only when those change.
// Shapes are checked by the caller (runtime/model/op-shapes.ts ropeDims).
import { type GpuContext, grid, params } from './device.js';
import type { HostUploads } from './reusable.js';
import src from './rope.wgsl';

const WG = 64;

export class RopeKernel {
  private pipe: GPUComputePipeline | undefined;
  /** The table now in the upload slot and what it was built from. */
  private table: { buffer: GPUBuffer; positions: Int32Array; invFreq: Float32Array } | null = null;
  constructor(private readonly ctx: GpuContext, private readonly uploads: HostUploads) {}

  /** Rotate x [N, Hx * E] in place by angle sign * positions[n] * invFreq[i]. */
  encode(label: string, x: GPUBuffer, positions: Int32Array, invFreq: Float32Array, heads: number, sign: 1 | -1): void {
    this.pipe ??= this.ctx.pipeline('rope', this.ctx.module('rope.wgsl', src), 'main', { WG });
    const half = invFreq.length;
    const cs = this.cosSin(positions, invFreq);
    const pairs = positions.length * heads * half;
    this.ctx.dispatch(label, this.pipe, params([pairs, heads, half], [sign]), [cs, x], grid(this.ctx, pairs, WG));
  }

  /** The uploaded [N, E/2, 2] table of (cos, sin) of positions[n] invFreq[i]. */
  private cosSin(positions: Int32Array, invFreq: Float32Array): GPUBuffer {
    const t = this.table;
    if (t && sameValues(t.positions, positions) && sameValues(t.invFreq, invFreq)) return t.buffer;
    const half = invFreq.length;
    const table = new Float32Array(2 * positions.length * half);
    for (let n = 0; n < positions.length; n++) {
      for (let i = 0; i < half; i++) {
        const a = positions[n] * invFreq[i];
        table[2 * (n * half + i)] = Math.cos(a);
        table[2 * (n * half + i) + 1] = Math.sin(a);
      }
    }
    const buffer = this.uploads.buffer('rope cos/sin', table);
    this.table = { buffer, positions: positions.slice(), invFreq: invFreq.slice() };
    return buffer;
  }
}

function sameValues(a: Int32Array | Float32Array, b: Int32Array | Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
