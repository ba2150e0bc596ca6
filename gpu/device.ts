// The WebGPU device and the bookkeeping every launcher shares: adapter and device acquisition with the
// adapter's real limits, a pending batch of recorded commands (submitted together on read/sync or after
// MAX_PASSES passes), a per-submit arena for the small uniform parameter blocks, and error handling:
// every GPU call runs inside error scopes whose result is remembered with the kernel's label and thrown at
// the next call; device loss is remembered and thrown at every later call.
// Each pass is recorded by its own encoder and finished at once: encoding errors surface at finish(), so
// finishing inside the kernel's error scope is what lets an error name the kernel that caused it.
// Tensors may be larger than one storage binding (up to maxBufferSize): kernels bind row windows of them
// (rowsPerWindow, rowWindow below), and a dispatch that would bind more than the binding limit is refused
// with the kernel's label before anything is recorded.
// It deliberately knows nothing about ops or shapes: the kernel descriptors of gpu/<op>.ts (kernel.ts) do;
// `launch` is the one place a kernel is dispatched.
import type { Kernel } from './kernel.js';
import { getGPU } from './provider.js';

/** Passes recorded before the pending batch is submitted without being asked to: bounds the work (and
 *  the parameter arena) that one submit carries, so long op sequences without a read still make progress. */
const MAX_PASSES = 64;
/** Largest parameter block a kernel uses, in bytes (a few u32/f32 fields). */
const PARAM_BYTES = 64;

/** The limits requested at requestDevice: everything the kernels' sizes depend on, at the adapter's value. */
const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize', 'maxBindGroups',
] as const;
type LimitName = (typeof LIMITS)[number];

export class GpuContext {
  readonly device: GPUDevice;
  readonly limits: Record<LimitName, number>;
  readonly hasF16: boolean;
  /** Largest storage binding in bytes: the device's maxStorageBufferBindingSize, or less when asked. */
  readonly maxBinding: number;
  private commands: GPUCommandBuffer[] = [];
  private passes = 0;
  private batchLabels: string[] = [];
  /** Parameter blocks of the pending passes, uploaded to `paramBuffer` just before the submit. */
  private readonly paramSlot: number;
  private readonly paramData: ArrayBuffer;
  private readonly paramBuffer: GPUBuffer;
  /** Buffers disposed while a pending pass may still use them: destroyed after its submit. */
  private garbage: GPUBuffer[] = [];
  private pendingScopes: Promise<void>[] = [];
  private firstError: Error | null = null;
  private lostError: Error | null = null;
  private destroyed = false;
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly adapter: GPUAdapter, device: GPUDevice, maxBindingBytes = Infinity) {
    this.device = device;
    this.limits = Object.fromEntries(LIMITS.map((k) => [k, device.limits[k]])) as Record<LimitName, number>;
    this.maxBinding = Math.min(maxBindingBytes, this.limits.maxStorageBufferBindingSize);
    this.hasF16 = device.features.has('shader-f16');
    this.paramSlot = Math.max(PARAM_BYTES, device.limits.minUniformBufferOffsetAlignment);
    this.paramData = new ArrayBuffer(this.paramSlot * MAX_PASSES);
    this.paramBuffer = device.createBuffer({
      label: 'osteon kernel parameters', size: this.paramData.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.lost.then((info) => {
      if (!this.destroyed) {
        this.lostError = new Error(`[webgpu] the device was lost (${info.reason}): ${info.message || 'no message'}; ` +
          'every tensor on it is gone: create a new backend');
      }
    });
    // Errors outside any scope (there should be none) are still reported rather than printed and forgotten.
    device.addEventListener('uncapturederror', (e) => this.remember('unscoped GPU call', (e as GPUUncapturedErrorEvent).error));
  }

  /** Throw the device loss, or the first GPU error since the last check; also refuses a destroyed backend. */
  check(): void {
    if (this.destroyed) throw new Error('[webgpu] the backend was destroyed; create a new one');
    if (this.lostError) throw this.lostError;
    const e = this.firstError;
    if (e) {
      this.firstError = null;
      throw e;
    }
  }

  private remember(label: string, error: GPUError): void {
    if (this.firstError || this.destroyed) return;
    const kind = error instanceof GPUOutOfMemoryError ? 'out of memory'
      : error instanceof GPUValidationError ? 'validation error' : 'internal error';
    this.firstError = new Error(`[webgpu] ${label}: ${kind}: ${error.message}`);
  }

  /** Run `fn` (GPU calls only) inside validation, out-of-memory and internal error scopes; what they catch
   *  is remembered with `label` and thrown by the next check(). The scopes are popped without waiting. */
  scoped<T>(label: string, fn: () => T): T {
    const d = this.device;
    d.pushErrorScope('internal');
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('validation');
    try {
      return fn();
    } finally {
      for (let i = 0; i < 3; i++) {
        this.pendingScopes.push(d.popErrorScope().then(
          (e) => { if (e) this.remember(label, e); },
          () => {}, // popping fails only once the device is lost, which lostError reports
        ));
      }
    }
  }

  /** A new storage buffer of `bytes` (rounded up to 16 so kernels can read it as vec4), optionally filled.
   *  It may exceed one binding: kernels that take such tensors bind windows of it. */
  storageBuffer(bytes: number, label: string, data?: Float32Array): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (size > this.limits.maxBufferSize) {
      throw new Error(`[webgpu] tensor ${label} needs ${size} bytes, over this device's maxBufferSize of ` +
        `${this.limits.maxBufferSize} bytes: split it into smaller tensors (for example by rows)`);
    }
    return this.scoped(`allocate ${label}`, () => {
      const b = this.device.createBuffer({
        label, size, mappedAtCreation: !!data,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      if (data) {
        new Float32Array(b.getMappedRange()).set(data);
        b.unmap();
      }
      return b;
    });
  }

  /** Record one launch of `kernel` for the call `p`: its pipeline (built on first use, then cached by the
   *  kernel's name), its parameter block and dispatch size from `p`, `buffers` as its storage bindings. */
  launch<P>(kernel: Kernel<P>, label: string, p: P, buffers: (GPUBuffer | GPUBufferBinding)[]): void {
    if (buffers.length !== kernel.bindings.length) {
      throw new Error(`[webgpu] ${label}: ${buffers.length} buffers for the ${kernel.bindings.length} bindings of ${kernel.name} (${kernel.bindings.join(', ')})`);
    }
    const size = kernel.size(p);
    const groups = typeof size === 'number' ? grid(this, size, kernel.rowPerWorkgroup ? 1 : kernel.wg) : size;
    this.dispatch(label, this.pipeline(kernel), kernel.params(p), buffers, groups);
  }

  /** The kernel's pipeline, compiled and built once. */
  private pipeline(k: Kernel<never>): GPUComputePipeline {
    let pipe = this.pipelines.get(k.name);
    if (!pipe) {
      let module = this.modules.get(k.module);
      if (!module) {
        module = this.scoped(`compile ${k.module}`, () => this.device.createShaderModule({ label: k.module, code: k.source }));
        this.modules.set(k.module, module);
      }
      const compute = { module, entryPoint: k.entry, constants: k.constants ?? { WG: k.wg } };
      pipe = this.scoped(`pipeline ${k.name}`, () => this.device.createComputePipeline({ label: k.name, layout: 'auto', compute }));
      this.pipelines.set(k.name, pipe);
    }
    return pipe;
  }

  /** Record commands into the pending batch, inside error scopes labelled `label`. */
  record(label: string, fn: (encoder: GPUCommandEncoder) => void): void {
    this.scoped(label, () => {
      const encoder = this.device.createCommandEncoder({ label });
      fn(encoder);
      this.commands.push(encoder.finish({ label }));
    });
  }

  /** Record one compute dispatch. `params` (at most PARAM_BYTES) becomes binding 0 (uniform); `buffers`
   *  (whole buffers or windows of them) follow as bindings 1, 2, ... in order. */
  private dispatch(label: string, pipeline: GPUComputePipeline, params: ArrayBuffer, buffers: (GPUBuffer | GPUBufferBinding)[],
    groups: readonly [number, number, number]): void {
    if (groups[0] * groups[1] * groups[2] === 0) return;
    if (params.byteLength > PARAM_BYTES) throw new Error(`[webgpu] ${label}: ${params.byteLength} bytes of parameters, over ${PARAM_BYTES}`);
    const bindings = buffers.map((b): GPUBufferBinding => ('buffer' in b ? b : { buffer: b }));
    for (const b of bindings) {
      const bytes = b.size ?? b.buffer.size;
      if (bytes > this.maxBinding) {
        throw new Error(`[${label.split(' ')[0]}] ${label}: ${b.buffer.label} spans ${bytes} bytes, over the binding limit of ` +
          `${this.maxBinding} bytes (maxStorageBufferBindingSize), and this op does not split its tensors (embedding, ` +
          'matmul and crossEntropy do): use smaller tensors for it, for example fewer tokens per batch');
      }
    }
    const slot = this.passes;
    new Uint8Array(this.paramData, slot * this.paramSlot, params.byteLength).set(new Uint8Array(params));
    this.record(label, (encoder) => {
      const bind = this.device.createBindGroup({
        label, layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.paramBuffer, offset: slot * this.paramSlot, size: PARAM_BYTES } },
          ...bindings.map((resource, i) => ({ binding: i + 1, resource })),
        ],
      });
      const pass = encoder.beginComputePass({ label });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
      pass.end();
    });
    this.passes++;
    this.batchLabels.push(label);
    if (this.passes >= MAX_PASSES) this.flush();
  }

  /** Submit the pending batch (if any), with its parameters uploaded first. */
  flush(): void {
    if (!this.commands.length) return;
    const commands = this.commands;
    const label = `submit of ${this.batchLabels.length} passes (${[...new Set(this.batchLabels)].join(', ')})`;
    this.commands = [];
    this.scoped(label, () => {
      if (this.passes > 0) this.device.queue.writeBuffer(this.paramBuffer, 0, this.paramData, 0, this.passes * this.paramSlot);
      this.device.queue.submit(commands);
    });
    this.passes = 0;
    this.batchLabels = [];
    // One promise for this batch's scopes, so that a long run without reads does not pile them up.
    this.pendingScopes = [Promise.all(this.pendingScopes).then(() => {})];
    for (const b of this.garbage) b.destroy();
    this.garbage = [];
  }

  /** Destroy a buffer once no pending pass can use it any more. */
  release(b: GPUBuffer): void {
    if (this.commands.length) this.garbage.push(b);
    else b.destroy();
  }

  /** Wait for the outcome of every scope opened so far, then throw what they caught. */
  async settle(): Promise<void> {
    while (this.pendingScopes.length) {
      const scopes = this.pendingScopes;
      this.pendingScopes = [];
      await Promise.all(scopes);
    }
    this.check();
  }

  /** Wait until every submitted command has run (or the device is gone). */
  async idle(): Promise<void> {
    this.flush();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.device.lost]);
    await this.settle();
  }

  /** A copy of `bytes` bytes of `src` on the CPU: the only readback path. */
  async readBuffer(src: GPUBuffer, bytes: number, label: string): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.scoped(`read ${label}`, () => this.device.createBuffer({
      label: `readback ${label}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    }));
    this.record(`read ${label}`, (e) => e.copyBufferToBuffer(src, 0, staging, 0, size));
    this.flush();
    try {
      const mapped = staging.mapAsync(GPUMapMode.READ).then(() => true, () => false);
      const ok = await Promise.race([mapped, this.device.lost.then(() => false)]);
      await this.settle(); // the labelled error of the kernel that failed, or the device loss, comes first
      if (!ok) throw new Error(`[webgpu] reading ${label} failed: its readback buffer could not be mapped`);
      return staging.getMappedRange().slice(0);
    } finally {
      if (!this.destroyed) staging.destroy();
    }
  }

  /** Release the device and everything on it; later calls throw. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.commands = [];
    this.garbage = [];
    this.modules.clear();
    this.pipelines.clear();
    this.device.destroy();
  }
}

/** The adapter and a device with the adapter's real limits (and `shader-f16` when offered), or null when
 *  this platform has no WebGPU adapter. */
export async function openDevice(gpu: GPU | undefined = getGPU(), maxBindingBytes?: number): Promise<GpuContext | null> {
  const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('shader-f16') ? ['shader-f16'] : [];
  const device = await adapter.requestDevice({ label: 'osteon', requiredLimits, requiredFeatures });
  return new GpuContext(adapter, device, maxBindingBytes);
}

/** Workgroup counts for `count` invocations in workgroups of `size`, folded into y when x would pass
 *  the per-dimension limit. Kernels rebuild the linear index as x + y * (workgroups in x) * size. */
function grid(ctx: GpuContext, count: number, size: number): [number, number, number] {
  const groups = Math.ceil(count / size);
  const maxX = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxX) return [groups, 1, 1];
  const y = Math.ceil(groups / maxX);
  if (y > maxX) throw new Error(`[webgpu] ${count} invocations exceed the dispatch limit of this device`);
  return [Math.ceil(groups / y), y, 1];
}

/** Rows of a row-major [rows, cols] float32 tensor of `bytes` that one binding window holds: all of them
 *  when the tensor fits, else the most that fit, rounded down so that every window starts at a multiple of
 *  minStorageBufferOffsetAlignment, and to a multiple of 4 rows so that a row count used as a column offset
 *  into another operand keeps matmul's vec4 loads aligned. */
export function rowsPerWindow(ctx: GpuContext, bytes: number, rows: number, cols: number, what: string): number {
  if (bytes <= ctx.maxBinding) return rows;
  const rowBytes = cols * 4;
  const align = ctx.device.limits.minStorageBufferOffsetAlignment;
  const step = Math.max(4, align / gcd(rowBytes, align)); // rows between aligned starts (both powers of 2)
  const fit = Math.floor(ctx.maxBinding / rowBytes / step) * step;
  if (fit === 0) {
    throw new Error(`[webgpu] ${what}: ${step} rows of ${cols} floats (the smallest aligned window) exceed the binding ` +
      `limit of ${ctx.maxBinding} bytes: this row is too wide for this device`);
  }
  return fit;
}

/** The binding window of rows [row0, row0 + rows) of a row-major [*, cols] float32 buffer; row0 comes
 *  from rowsPerWindow steps, so the offset is aligned. The last window reaches the buffer's (16-byte
 *  rounded) end so that vec4 reads of the final elements stay inside it. */
export function rowWindow(buffer: GPUBuffer, row0: number, rows: number, cols: number): GPUBufferBinding {
  const offset = row0 * cols * 4;
  return { buffer, offset, size: Math.min(Math.ceil((rows * cols * 4) / 16) * 16, buffer.size - offset) };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
