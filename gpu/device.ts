// The WebGPU device and the bookkeeping every launcher shares: adapter and device acquisition with the
// adapter's real limits, memory, submission and error handling.
// - Memory: storage buffers come from a pool of size classes (four per power of two); a disposed tensor's
//   buffer goes back to the pool once the passes recorded before its disposal are submitted, so a training
//   step that repeats the shapes of the step before creates and destroys no buffer. Readback buffers are
//   pooled the same way. CPU arrays that ops take (token ids, targets) and writes into live tensors go
//   through an upload ring: each gets a fresh region of one buffer, written by the queue, so no upload has to
//   submit the passes recorded before it.
// - Submission: every dispatch and copy is recorded into one command encoder, dispatches into one compute
//   pass (WebGPU orders the dispatches of a pass: each sees what the ones before it wrote); the batch is
//   submitted on read/sync or after MAX_DISPATCHES dispatches. Each dispatch's uniform parameter block is a
//   slot of one buffer bound with a dynamic offset, so bind groups are cached by the buffers they bind.
// - Errors: pipeline and module creation and buffer allocation run inside error scopes labelled with the
//   kernel or tensor; each submit runs inside scopes that name the kernels of its batch. With OSTEON_DEBUG=1
//   every dispatch gets its own encoder, pass and error scopes again, so an error names its kernel. What the
//   scopes catch is remembered and thrown at the next call; device loss is remembered and thrown at every
//   later call. Only the limits the kernels' sizes depend on are requested, at the adapter's values. (The
//   "maxDynamic...PerPipelineLayout artificially reduced" lines on lavapipe are printed by Dawn itself to the
//   process's stderr while it enumerates adapters, before any device is requested: nothing here can
//   change them.)
// Tensors may be larger than one storage binding (up to maxBufferSize): kernels bind row windows of them
// (rowsPerWindow, rowWindow below; rows of float32 or float16 elements), and a dispatch that would bind more
// than the binding limit is refused with the kernel's label before anything is recorded.
// It deliberately knows nothing about ops or shapes: the kernel descriptors of gpu/<op>.ts (kernel.ts) do;
// `launch` is the one place a kernel is dispatched.
import type { DeviceCounters } from '../runtime/backend.js';
import type { Kernel } from './kernel.js';
import { ZERO } from './fill.js';
import { getGPU } from './provider.js';
import type { MatmulTileName } from './matmulTiles.js';
import { type DeviceFeatures, missingFeature, parseKernelSwitch } from './variants.js';

/** Dispatches recorded before the pending batch is submitted without being asked to: bounds the work (and
 *  the parameter buffer) that one submit carries, so long op sequences without a read still make progress. */
const MAX_DISPATCHES = 2048;
/** Bytes of the upload ring (or one binding, when smaller). */
const RING_BYTES = 4 << 20;
/** Cached bind groups kept before the cache starts afresh. */
const MAX_BIND_GROUPS = 16384;
/** Largest parameter block a kernel uses, in bytes (a few u32/f32 fields). */
const PARAM_BYTES = 64;

/** The limits reported (`osteon info`) and read by the launchers. */
const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize', 'maxBindGroups',
] as const;
type LimitName = (typeof LIMITS)[number];
/** The limits requested at requestDevice, at the adapter's value: those whose default would bind osteon
 *  (tensor sizes, dispatch sizes, and attention's 8 storage bindings, the default's most). */
const REQUESTED: readonly LimitName[] = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
];

/** The kernel variants a context launches where there is a choice (see gpu/matmul.ts; their values and the
 *  features they need: gpu/variants.ts). */
export interface KernelVariants {
  /** 'blocked': register-blocked, no workgroup memory (matmul.wgsl, for CPU drivers); 'tiled': workgroup
   *  tiles (matmulTiled.wgsl, for hardware GPUs); 'subgroup': operands shared by subgroup shuffles, no
   *  workgroup memory or barrier (matmulSubgroup.wgsl, adapters with `subgroups`). */
  matmul: 'blocked' | 'tiled' | 'subgroup';
  /** The tile of the tiled matmul, rows x columns of C per workgroup (gpu/matmulTiles.ts). */
  matmulTile: MatmulTileName;
  /** How products with a float16 operand (a half-precision weight) multiply: 'f32' by the matmul design;
   *  'f16' by the tiled matmul with float16 tiles and products, summed in f32 (needs `shader-f16`). */
  halfMath: 'f32' | 'f16';
  /** 'rows': an invocation per query or key row, no workgroup memory (attention.wgsl, for CPU drivers);
   *  'tiled': a workgroup per tile of rows sharing key/value or query tiles (attentionTiled.wgsl, for
   *  hardware GPUs). */
  attention: 'rows' | 'tiled';
}

export interface ContextOptions {
  /** Binding limit in bytes below the device's (see WebGPUBackendOptions). */
  maxBindingBytes?: number;
  /** Per-dispatch encoders and error scopes (default: OSTEON_DEBUG=1). */
  debug?: boolean;
  /** Force kernel variants (default: by the adapter, see defaultVariants; OSTEON_KERNELS=matmul:tiled,halfMath:f16). */
  variants?: Partial<KernelVariants>;
}

export class GpuContext implements DeviceFeatures {
  readonly device: GPUDevice;
  readonly limits: Record<LimitName, number>;
  readonly hasF16: boolean;
  readonly hasSubgroups: boolean;
  readonly subgroupMaxSize: number | undefined;
  /** Largest storage binding in bytes: the device's maxStorageBufferBindingSize, or less when asked. */
  readonly maxBinding: number;
  /** OSTEON_DEBUG=1: one encoder, pass and set of error scopes per dispatch, as labelled as can be. */
  readonly debug: boolean;
  /** The open encoder of the pending batch and its open compute pass (not in debug mode). */
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Finished command buffers of the pending batch (debug mode: one per dispatch or copy). */
  private commands: GPUCommandBuffer[] = [];
  /** Dispatches in the pending batch: each holds one slot of the parameter buffer. */
  private dispatches = 0;
  private batchLabels = new Set<string>();
  /** Parameter blocks of the pending dispatches, uploaded to `paramBuffer` just before the submit. */
  private readonly paramSlot: number;
  private readonly paramData: ArrayBuffer;
  private readonly paramBuffer: GPUBuffer;
  /** Free storage buffers by size, and those released while a pending pass may still use them. */
  private readonly free = new Map<number, GPUBuffer[]>();
  private garbage: GPUBuffer[] = [];
  /** Free readback buffers by size. */
  private readonly freeReads = new Map<number, GPUBuffer[]>();
  private readonly ring: UploadRing;
  private pendingScopes: Promise<void>[] = [];
  private firstError: Error | null = null;
  private lostError: Error | null = null;
  private destroyed = false;
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: BindLayout }>();
  private readonly layouts = new Map<string, BindLayout>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  /** The bytes asked for each pooled buffer (its class may be larger): what a binding check reports. */
  private readonly asked = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  /** What this context has asked of the device so far (Backend.counters). */
  private readonly counted: DeviceCounters = { dispatches: 0, submits: 0, buffersCreated: 0, bytesUploaded: 0, bytesReadBack: 0 };

  /** A CPU implementation of WebGPU (lavapipe, SwiftShader, a fallback adapter): kernels tuned for it. */
  readonly software: boolean;
  /** The variants launched; gpu/tuning.ts may change them before the first launch. */
  readonly variants: KernelVariants;
  /** The variants forced, by OSTEON_KERNELS then the options (any at all: nothing is tuned). */
  readonly forcedVariants: Partial<KernelVariants>;

  constructor(readonly adapter: GPUAdapter, device: GPUDevice, options: ContextOptions = {}) {
    this.device = device;
    this.debug = options.debug ?? debugSwitch();
    this.software = isSoftware(adapter);
    const forced = { ...variantsSwitch(), ...options.variants };
    this.forcedVariants = forced;
    this.variants = { ...defaultVariants(this.software), ...forced };
    const maxBindingBytes = options.maxBindingBytes ?? Infinity;
    this.limits = Object.fromEntries(LIMITS.map((k) => [k, device.limits[k]])) as Record<LimitName, number>;
    this.maxBinding = Math.min(maxBindingBytes, this.limits.maxStorageBufferBindingSize);
    this.hasF16 = device.features.has('shader-f16');
    this.hasSubgroups = device.features.has('subgroups');
    this.subgroupMaxSize = (adapter.info as GPUAdapterInfo & { subgroupMaxSize?: number }).subgroupMaxSize;
    const missing = missingFeature(this.variants, this);
    if (missing) {
      device.destroy();
      throw new Error(`[webgpu] ${missing}`);
    }
    this.paramSlot = Math.max(PARAM_BYTES, device.limits.minUniformBufferOffsetAlignment);
    this.paramData = new ArrayBuffer(this.paramSlot * MAX_DISPATCHES);
    this.paramBuffer = this.scoped('allocate kernel parameters', () => device.createBuffer({
      label: 'osteon kernel parameters', size: this.paramData.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    }));
    this.counted.buffersCreated++;
    this.ring = new UploadRing(this, Math.min(RING_BYTES, this.maxBinding));
    device.lost.then((info) => {
      if (!this.destroyed) {
        this.lostError = new Error(`[webgpu] the device was lost (${info.reason}): ${info.message || 'no message'}; ` +
          'every tensor on it is gone: create a new backend');
      }
    });
    // Errors outside any scope (there should be none) are still reported rather than printed and forgotten.
    device.addEventListener('uncapturederror', (e) => this.remember('unscoped GPU call', (e as GPUUncapturedErrorEvent).error));
  }

  /** A copy of the counters so far. */
  counters(): DeviceCounters {
    return { ...this.counted };
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

  /** A storage buffer of at least `bytes` (rounded up to 16 so kernels can read it as vec4) from the pool,
   *  zero-filled, holding `data`, or (`contents` 'any') holding whatever it held. It may exceed one binding:
   *  kernels that take such tensors bind windows of it. Its size is that of its size class, so callers
   *  bind it by their own byte count where the size matters; `exact` (the default for tensors made with
   *  data, which are mostly weights and live long) asks for no more than `bytes` rounded up to 16. */
  storageBuffer(bytes: number, label: string, contents: Float32Array | 'zero' | 'any' = 'zero', exact = contents instanceof Float32Array): GPUBuffer {
    const size = exact ? Math.max(16, Math.ceil(bytes / 16) * 16) : this.sizeClass(bytes);
    if (size > this.limits.maxBufferSize) {
      throw new Error(`[webgpu] tensor ${label} needs ${size} bytes, over this device's maxBufferSize of ` +
        `${this.limits.maxBufferSize} bytes: split it into smaller tensors (for example by rows)`);
    }
    const pooled = this.free.get(size)?.pop();
    const b = pooled ?? this.scoped(`allocate ${label}`, () => {
      this.counted.buffersCreated++;
      return this.device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    });
    if (pooled) b.label = label;
    this.asked.set(b, Math.max(16, Math.ceil(bytes / 16) * 16));
    // Nothing pending reads a free buffer, so a queue write (which runs before pending passes) is safe.
    if (contents instanceof Float32Array) this.upload(b, 0, contents, label);
    else if (pooled && contents === 'zero') this.zero(b, label);
    return b;
  }

  /** Size of the pool class for `bytes`: 256 bytes at least, then four classes per power of two (at most 25 %
   *  unused). A buffer that fits one binding stays within the binding limit, so that code choosing between
   *  whole-buffer and windowed binding by buffer size decides as it would for the exact size. */
  private sizeClass(bytes: number): number {
    const exact = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (exact <= 256) return 256;
    const step = 2 ** Math.floor(Math.log2(exact)) / 4;
    const rounded = Math.ceil(exact / step) * step;
    if (exact <= this.maxBinding && rounded > this.maxBinding) return exact;
    return rounded > this.limits.maxBufferSize ? exact : rounded;
  }

  /** Zero the buffer with a dispatch in the pending batch (in windows when it spans more than a binding). */
  private zero(b: GPUBuffer, label: string): void {
    const window = Math.floor(this.maxBinding / 256) * 256;
    for (let offset = 0; offset < b.size; offset += window) {
      const size = Math.min(window, b.size - offset);
      this.launch(ZERO, `zero ${label}`, size / 16, [{ buffer: b, offset, size }]);
    }
  }

  /** Write `data` into `target` at `offset` through the queue. A queue write runs before every command
   *  submitted after it, pending ones included: callers make sure no pending pass reads what it overwrites. */
  upload(target: GPUBuffer, offset: number, data: ArrayBufferView, label: string): void {
    this.counted.bytesUploaded += data.byteLength;
    this.scoped(`upload ${label}`, () => this.device.queue.writeBuffer(target, offset, data.buffer, data.byteOffset, data.byteLength));
  }

  /** `data` on the device for the passes recorded next (until the next submit), without submitting
   *  anything: a fresh region of the upload ring, or (larger than the ring) a pooled buffer that returns to
   *  the pool at the next submit. */
  staged(data: Int32Array | Float32Array, label: string): GPUBufferBinding {
    const staged = this.ring.put(data, label);
    if (staged) return staged;
    const b = this.storageBuffer(data.byteLength, label, 'any');
    this.upload(b, 0, data, label);
    this.garbage.push(b);
    return { buffer: b };
  }

  /** Overwrite `target` from the start with `data`, after the passes recorded so far and before those
   *  recorded later: a copy from the upload ring, or (data larger than the ring) a queue write after
   *  submitting the pending batch. */
  write(target: GPUBuffer, data: Int32Array | Float32Array, label: string): void {
    const staged = this.ring.put(data, label);
    if (!staged) {
      this.flush();
      this.upload(target, 0, data, label);
      return;
    }
    const bytes = Math.ceil(data.byteLength / 4) * 4;
    this.record(`write ${label}`, (e) => e.copyBufferToBuffer(staged.buffer, staged.offset!, target, 0, bytes));
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

  /** The kernel's pipeline, compiled and built once, with its explicit bind group layout: binding 0 the
   *  parameter block at a dynamic offset, then the storage bindings with the access the WGSL declares. */
  private pipeline(k: Kernel<never>): { pipeline: GPUComputePipeline; layout: BindLayout } {
    let pipe = this.pipelines.get(k.name);
    if (!pipe) {
      let module = this.modules.get(k.module);
      if (!module) {
        module = this.scoped(`compile ${k.module}`, () => this.device.createShaderModule({ label: k.module, code: k.source }));
        this.modules.set(k.module, module);
      }
      const layout = this.bindLayout(k);
      const compute = { module, entryPoint: k.entry, constants: k.constants ?? { WG: k.wg } };
      const pipeline = this.scoped(`pipeline ${k.name}`, () => this.device.createComputePipeline({ label: k.name, layout: layout.pipeline, compute }));
      this.pipelines.set(k.name, pipe = { pipeline, layout });
    }
    return pipe;
  }

  private bindLayout(k: Kernel<never>): BindLayout {
    const access = storageAccess(k);
    const key = access.join(',');
    let layout = this.layouts.get(key);
    if (!layout) {
      const group = this.device.createBindGroupLayout({
        label: `osteon bindings (${key})`,
        entries: [
          { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
          ...access.map((type, i): GPUBindGroupLayoutEntry => ({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
        ],
      });
      const pipeline = this.device.createPipelineLayout({ label: `osteon layout (${key})`, bindGroupLayouts: [group] });
      this.layouts.set(key, layout = { key, group, pipeline });
    }
    return layout;
  }

  /** The bind group of these buffers in this layout, made once (the parameter slot is a dynamic offset). */
  private bindGroup(layout: BindLayout, bindings: GPUBufferBinding[], label: string): GPUBindGroup {
    let key = layout.key;
    for (const b of bindings) {
      let id = this.bufferIds.get(b.buffer);
      if (id === undefined) this.bufferIds.set(b.buffer, id = this.nextBufferId++);
      key += `|${id}:${b.offset ?? 0}:${b.size ?? -1}`;
    }
    let group = this.bindGroups.get(key);
    if (!group) {
      // Bind groups of buffers that left the pool would pile up: start afresh past a bound.
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      group = this.device.createBindGroup({
        label, layout: layout.group,
        entries: [
          { binding: 0, resource: { buffer: this.paramBuffer, offset: 0, size: PARAM_BYTES } },
          ...bindings.map((resource, i) => ({ binding: i + 1, resource })),
        ],
      });
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /** Record commands (copies) into the pending batch, after the dispatches recorded so far. */
  record(label: string, fn: (encoder: GPUCommandEncoder) => void): void {
    if (this.debug) {
      this.scoped(label, () => {
        const encoder = this.device.createCommandEncoder({ label });
        fn(encoder);
        this.commands.push(encoder.finish({ label }));
      });
    } else {
      this.endPass();
      fn(this.openEncoder());
    }
    this.batchLabels.add(label);
  }

  private openEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder({ label: 'osteon batch' }));
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Record one compute dispatch. `params` (at most PARAM_BYTES) becomes binding 0 (uniform); `buffers`
   *  (whole buffers or windows of them) follow as bindings 1, 2, ... in order. */
  private dispatch(label: string, pipe: { pipeline: GPUComputePipeline; layout: BindLayout }, params: ArrayBuffer,
    buffers: (GPUBuffer | GPUBufferBinding)[], groups: readonly [number, number, number]): void {
    if (groups[0] * groups[1] * groups[2] === 0) return;
    if (params.byteLength > PARAM_BYTES) throw new Error(`[webgpu] ${label}: ${params.byteLength} bytes of parameters, over ${PARAM_BYTES}`);
    const bindings = buffers.map((b): GPUBufferBinding => ('buffer' in b ? b : { buffer: b }));
    for (const b of bindings) {
      const bytes = b.size ?? this.asked.get(b.buffer) ?? b.buffer.size;
      if (bytes > this.maxBinding) {
        throw new Error(`[${label.split(' ')[0]}] ${label}: ${b.buffer.label} spans ${bytes} bytes, over the binding limit of ` +
          `${this.maxBinding} bytes (maxStorageBufferBindingSize), and this op does not split its tensors (embedding, ` +
          'matmul and crossEntropy do): use smaller tensors for it, for example fewer tokens per batch');
      }
    }
    const offset = this.dispatches * this.paramSlot;
    new Uint8Array(this.paramData, offset, params.byteLength).set(new Uint8Array(params));
    const encode = (pass: GPUComputePassEncoder) => {
      pass.setPipeline(pipe.pipeline);
      pass.setBindGroup(0, this.bindGroup(pipe.layout, bindings, label), [offset]);
      pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    };
    if (this.debug) {
      this.record(label, (encoder) => {
        const pass = encoder.beginComputePass({ label });
        encode(pass);
        pass.end();
      });
    } else {
      encode(this.pass ??= this.openEncoder().beginComputePass({ label: 'osteon batch' }));
      this.batchLabels.add(label);
    }
    this.dispatches++;
    this.counted.dispatches++;
    if (this.dispatches >= MAX_DISPATCHES) this.flush();
  }

  /** Whether commands are recorded and not yet submitted. */
  private get pending(): boolean {
    return this.encoder !== null || this.commands.length > 0;
  }

  /** Submit the pending batch (if any), with its parameters uploaded first. */
  flush(): void {
    if (!this.pending) return;
    this.endPass();
    const label = `submit of ${this.dispatches} dispatches (${[...this.batchLabels].join(', ')})`;
    this.scoped(label, () => {
      if (this.encoder) this.commands.push(this.encoder.finish({ label: 'osteon batch' }));
      if (this.dispatches > 0) {
        this.counted.bytesUploaded += this.dispatches * this.paramSlot;
        this.device.queue.writeBuffer(this.paramBuffer, 0, this.paramData, 0, this.dispatches * this.paramSlot);
      }
      this.counted.submits++;
      this.device.queue.submit(this.commands);
    });
    this.encoder = null;
    this.commands = [];
    this.dispatches = 0;
    this.batchLabels = new Set();
    this.ring.submitted();
    // One promise for this batch's scopes, so that a long run without reads does not pile them up.
    this.pendingScopes = [Promise.all(this.pendingScopes).then(() => {})];
    for (const b of this.garbage) this.pool(b);
    this.garbage = [];
  }

  private pool(b: GPUBuffer): void {
    const list = this.free.get(b.size);
    if (list) list.push(b);
    else this.free.set(b.size, [b]);
  }

  /** Return a buffer to the pool once no pending pass can use it any more. */
  release(b: GPUBuffer): void {
    if (this.pending) this.garbage.push(b);
    else this.pool(b);
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
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(Math.ceil(bytes / 4) * 4)));
    const copy = Math.ceil(bytes / 4) * 4;
    const staging = this.freeReads.get(size)?.pop() ?? this.scoped(`read ${label}`, () => {
      this.counted.buffersCreated++;
      return this.device.createBuffer({ label: 'osteon readback', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    });
    this.counted.bytesReadBack += copy;
    this.record(`read ${label}`, (e) => e.copyBufferToBuffer(src, 0, staging, 0, copy));
    this.flush();
    let reusable = false;
    try {
      const mapped = staging.mapAsync(GPUMapMode.READ, 0, copy).then(() => true, () => false);
      const ok = await Promise.race([mapped, this.device.lost.then(() => false)]);
      await this.settle(); // the labelled error of the kernel that failed, or the device loss, comes first
      if (!ok) throw new Error(`[webgpu] reading ${label} failed: its readback buffer could not be mapped`);
      const data = staging.getMappedRange(0, copy).slice(0);
      staging.unmap();
      reusable = true;
      return data;
    } finally {
      if (this.destroyed) { /* the device took it */ } else if (reusable) {
        const list = this.freeReads.get(size);
        if (list) list.push(staging); else this.freeReads.set(size, [staging]);
      } else staging.destroy();
    }
  }

  /** Release the device and everything on it; later calls throw. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.encoder = null;
    this.pass = null;
    this.commands = [];
    this.garbage = [];
    this.free.clear();
    this.freeReads.clear();
    this.bindGroups.clear();
    this.modules.clear();
    this.pipelines.clear();
    this.device.destroy();
  }
}

/** The upload ring: one storage buffer whose regions carry CPU arrays to the passes that read them. A region
 *  handed out since the last submit may still be read by a pending pass, so when the ring would wrap onto
 *  one, the pending batch is submitted first; after a submit, a queue write runs after the submitted passes,
 *  so every region may be reused. */
class UploadRing {
  private buffer: GPUBuffer | null = null;
  private head = 0;
  private usedSinceSubmit = false;
  constructor(private readonly ctx: GpuContext, private readonly bytes: number) {}

  put(data: Int32Array | Float32Array, label: string): GPUBufferBinding | null {
    const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
    if (size > this.bytes) return null;
    this.buffer ??= this.ctx.storageBuffer(this.bytes, 'osteon upload ring', 'any');
    const align = this.ctx.device.limits.minStorageBufferOffsetAlignment;
    let offset = Math.ceil(this.head / align) * align;
    if (offset + size > this.bytes) {
      if (this.usedSinceSubmit) this.ctx.flush();
      offset = 0;
    }
    this.ctx.upload(this.buffer, offset, data, label);
    this.head = offset + size;
    this.usedSinceSubmit = true;
    return { buffer: this.buffer, offset, size };
  }

  submitted(): void {
    this.usedSinceSubmit = false;
  }
}

interface BindLayout { key: string; group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }

/** The buffer binding types of the kernel's storage bindings 1, 2, ..., read from its WGSL declarations:
 *  where a module declares one binding number more than once (for different entry points) with different
 *  access, the declaration named as the kernel names that binding. */
function storageAccess(k: Kernel<never>): GPUBufferBindingType[] {
  const decls = [...k.source.matchAll(/@binding\((\d+)\)\s*var<storage,\s*(read_write|read)>\s*(\w+)/g)];
  return k.bindings.map((name, i) => {
    const here = decls.filter((d) => Number(d[1]) === i + 1);
    const pick = here.every((d) => d[2] === here[0]?.[2]) ? here[0] : here.find((d) => d[3] === name);
    if (!pick) {
      throw new Error(`[webgpu] kernel ${k.name}: binding ${i + 1} (${name}) has ${here.length ? 'no declaration of that name' : 'no storage declaration'} in ${k.module}`);
    }
    return pick[2] === 'read' ? 'read-only-storage' : 'storage';
  });
}

/** A setting from the environment (Node) or globalThis (a page). */
function setting(name: string): string {
  const g = globalThis as Record<string, unknown> & { process?: { env?: Record<string, string | undefined> } };
  return String(g.process?.env?.[name] ?? g[name] ?? '');
}

/** OSTEON_DEBUG=1. */
function debugSwitch(): boolean {
  return setting('OSTEON_DEBUG') === '1';
}

/** OSTEON_KERNELS=matmul:tiled,matmulTile:128x64,attention:rows (comma-separated op:variant): force variants, for tests and
 *  comparisons. */
function variantsSwitch(): Partial<KernelVariants> {
  return parseKernelSwitch(setting('OSTEON_KERNELS'));
}

/** Whether the adapter runs shaders on the CPU: Mesa's lavapipe/llvmpipe, SwiftShader, or an adapter
 *  that says it is a fallback. */
export function isSoftware(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ').toLowerCase();
  return !!info.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software/.test(text);
}

/** The variants for an adapter before any tuning: CPU-friendly kernels on software adapters. */
export function defaultVariants(software: boolean): KernelVariants {
  return { matmul: software ? 'blocked' : 'tiled', matmulTile: '64x64', halfMath: 'f32', attention: software ? 'rows' : 'tiled' };
}

/** The adapter and a device with the adapter's real limits (and `shader-f16` and `subgroups` when offered),
 *  or null when this platform has no WebGPU adapter. */
export async function openDevice(gpu: GPU | undefined = getGPU(), options: ContextOptions = {}): Promise<GpuContext | null> {
  const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const requiredLimits: Record<string, number> = {};
  for (const k of REQUESTED) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = (['shader-f16', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ label: 'osteon', requiredLimits, requiredFeatures });
  return new GpuContext(adapter, device, options);
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

/** A row-major [rows, cols] tensor walked in row windows: its buffer's bytes and its element size (4: float32,
 *  2: float16, a half-precision weight). */
export interface RowMajor { bytes: number; cols: number; elementBytes: 2 | 4 }

/** Rows per binding window for tensors that share their row dimension of `rows` (an operand's rows and those
 *  of the product they make, say): all of them when every tensor fits one binding, else the most that the
 *  widest tensor over the limit fits, rounded down so that every window of every tensor over the limit starts
 *  at a multiple of minStorageBufferOffsetAlignment, and to a multiple of 4 rows so that a row count used as a
 *  column offset into another operand keeps matmul's vec4 loads aligned. Row sizes of 2-byte elements make
 *  the steps between aligned starts longest: a float16 row of odd width is 2 mod 4 bytes, so only every
 *  128th row starts at a multiple of 256 bytes. */
export function rowsPerWindow(ctx: GpuContext, rows: number, tensors: readonly RowMajor[], what: string): number {
  const over = tensors.filter((t) => t.bytes > ctx.maxBinding);
  if (over.length === 0) return rows;
  const align = ctx.device.limits.minStorageBufferOffsetAlignment;
  // Rows between aligned starts: align / gcd(row bytes, align), a power of 2 since align is one.
  const step = Math.max(4, ...over.map((t) => align / gcd(t.cols * t.elementBytes, align)));
  const widest = Math.max(...over.map((t) => t.cols * t.elementBytes));
  const fit = Math.floor(ctx.maxBinding / widest / step) * step;
  if (fit === 0) {
    throw new Error(`[webgpu] ${what}: ${step} rows of ${widest} bytes (the smallest aligned window) exceed the binding ` +
      `limit of ${ctx.maxBinding} bytes: this row is too wide for this device`);
  }
  return fit;
}

/** The binding window of rows [row0, row0 + rows) of a row-major [*, cols] buffer of `elementBytes`-byte
 *  elements; row0 comes from rowsPerWindow steps, so the offset is aligned. The last window reaches the
 *  buffer's (16-byte rounded) end so that vec4 reads of the final elements stay inside it; every window's size
 *  is a multiple of 16 bytes, so float16 windows (read as u32 pairs) hold whole words. */
export function rowWindow(buffer: GPUBuffer, row0: number, rows: number, cols: number, elementBytes: 2 | 4): GPUBufferBinding {
  const offset = row0 * cols * elementBytes;
  return { buffer, offset, size: Math.min(Math.ceil((rows * cols * elementBytes) / 16) * 16, buffer.size - offset) };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
