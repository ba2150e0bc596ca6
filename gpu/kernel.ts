// What it takes to launch one WebGPU kernel, as data: the kernel descriptor. Each gpu/<op>.ts describes its
// kernels (name, WGSL source or the template filled in for a variant, entry point, workgroup size, the
// storage bindings in order, the uniform parameter block and the dispatch size, both from the op's
// dimensions); GpuContext.launch (device.ts) is the one dispatcher: it builds and caches the pipeline by the
// descriptor's name, binds the buffers and records the dispatch.
/** One kernel, for calls described by P (usually the op's checked dimensions). */
export interface Kernel<P> {
  /** Unique per pipeline (entry point and variant included): the pipeline cache key and the label of
   *  compile and pipeline errors. */
  readonly name: string;
  /** Shader module name (the .wgsl file, plus the variant of a template): the module cache key. */
  readonly module: string;
  /** WGSL text of the module. */
  readonly source: string;
  readonly entry: string;
  /** Invocations per workgroup (in x, for `size` given as invocations). */
  readonly wg: number;
  /** Pipeline-overridable constants; default { WG: wg }, the `override WG` of most kernels. */
  readonly constants?: Record<string, number>;
  /** Names of the storage bindings 1, 2, ... (binding 0 is the parameter block), in order: the names the WGSL
   *  declares them by, which is how GpuContext tells read-only from writable where a module declares one
   *  binding number for several entry points. */
  readonly bindings: readonly string[];
  /** The uniform parameter block of a call. */
  params(p: P): ArrayBuffer;
  /** Invocations of a call (spread over workgroups of `wg`, folded into y past the x limit; workgroups,
   *  folded alike, when `rowPerWorkgroup`), or the workgroup counts themselves. */
  size(p: P): number | readonly [number, number, number];
  /** Each workgroup does one item (a row) with all its invocations: `size` counts workgroups. */
  readonly rowPerWorkgroup?: boolean;
}

/** A kernel of `module` whose parameter block is the u32 fields `u32(p)` (then the f32 fields `f32(p)`). */
export function kernel<P>(k: Omit<Kernel<P>, 'params'> & { u32: (p: P) => number[]; f32?: (p: P) => number[] }): Kernel<P> {
  const { u32, f32, ...rest } = k;
  return { ...rest, params: (p: P) => params(u32(p), f32?.(p) ?? []) };
}

/** A parameter block of u32 fields (f32 fields are passed with `f32` bits via the same buffer). */
export function params(u32: readonly number[], f32: readonly number[] = []): ArrayBuffer {
  const buf = new ArrayBuffer(Math.ceil((u32.length + f32.length) / 4) * 16 || 16);
  new Uint32Array(buf).set(u32);
  new Float32Array(buf, u32.length * 4, f32.length).set(f32);
  return buf;
}
