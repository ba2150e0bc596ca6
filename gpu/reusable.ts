// Buffers that kernels reuse from call to call instead of allocating per call:
// - ScratchBuffer: intermediate results of one op (attention's delta, cross-entropy's row losses, batGrad's
//   slab), grown
//   when a call needs more than any call before.
// - HostUploads: CPU-side arrays that ops keep on the GPU for a while (the rotary table, which the backend
//   keeps while the checked edge hands the same one), one growing buffer per named slot, written in order
//   with the recorded passes (GpuContext.write: a copy from the upload ring). Arrays used by one call only
//   (token ids, targets) are bound straight from the upload ring (GpuContext.staged).
import type { GpuContext } from './device.js';

export class ScratchBuffer {
  private buffer: GPUBuffer | null = null;
  private bytes = 0;
  constructor(private readonly ctx: GpuContext, private readonly label: string) {}

  /** A buffer of at least `bytes`; its contents are undefined. Growing doubles (up to `most`, by default one
   *  binding), so that slowly growing calls reallocate rarely; the old buffer is released once pending passes
   *  are done. */
  get(bytes: number, most = this.ctx.maxBinding): GPUBuffer {
    if (!this.buffer || this.bytes < bytes) {
      if (this.buffer) this.ctx.release(this.buffer);
      this.bytes = Math.max(bytes, Math.min(2 * this.bytes, most));
      this.buffer = this.ctx.storageBuffer(this.bytes, this.label, 'any');
    }
    return this.buffer;
  }

  /** Give the buffer back to the context's pool; a later `get` allocates again. */
  release(): void {
    if (this.buffer) this.ctx.release(this.buffer);
    this.buffer = null;
    this.bytes = 0;
  }
}

export class HostUploads {
  private readonly slots = new Map<string, ScratchBuffer>();
  constructor(private readonly ctx: GpuContext) {}

  /** The slot's buffer, now holding `data` (at offset 0). */
  buffer(slot: string, data: Int32Array | Float32Array): GPUBuffer {
    let s = this.slots.get(slot);
    if (!s) this.slots.set(slot, s = new ScratchBuffer(this.ctx, `upload ${slot}`));
    const target = s.get(data.byteLength);
    this.ctx.write(target, data, slot);
    return target;
  }
}
