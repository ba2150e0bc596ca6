// The arithmetic peak of the device a platform runs on, measured in the same run as the matmul sweep, so
// that each matmul figure can be read as a fraction of what the hardware (or the software driver) can do:
// WebGPU: a WGSL kernel of eight independent vec4 fused multiply-add chains per invocation, over enough
// invocations to fill the device; WebAssembly: asm/peak (the matmul kernel's own micro-kernel with its
// operands always in L1) on one thread, times the backend's thread count. Both are upper bounds no real
// kernel reaches; what matters is the ratio.
import peakWasm from '../build/peak.wasm';
import type { instantiate } from '../build/peak.js';
import { getGPU } from '../gpu/provider.js';

type PeakModule = Awaited<ReturnType<typeof instantiate>>;

const ROUNDS = 256; // per WGSL invocation

/** Eight named accumulators (not an array: a dynamically indexed array may live in memory). */
const PEAK_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> sink: array<vec4f>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let m = vec4f(0.999999);
  let c = vec4f(0.000001);
  let x = f32(id.x) * 1e-7;
  var a0 = vec4f(x); var a1 = vec4f(x + 0.1); var a2 = vec4f(x + 0.2); var a3 = vec4f(x + 0.3);
  var a4 = vec4f(x + 0.4); var a5 = vec4f(x + 0.5); var a6 = vec4f(x + 0.6); var a7 = vec4f(x + 0.7);
  for (var i = 0u; i < ${ROUNDS}u; i++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
  }
  sink[id.x] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}`;
const CHAINS = 8;

/** GFLOP/s of the best of a few timed runs of `run(): flops`, after `warm` untimed ones. */
async function best(run: () => Promise<number>, runs = 5, warm = 1): Promise<number> {
  for (let i = 0; i < warm; i++) await run(); // compilation, and V8's tier-up from its baseline wasm compiler
  let top = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const flops = await run();
    top = Math.max(top, flops / ((performance.now() - t0) * 1e6));
  }
  return top;
}

/** f32 GFLOP/s of the first WebGPU adapter (a device of its own, released afterwards); null without one. */
export async function webgpuPeak(): Promise<number | null> {
  const adapter = await getGPU()?.requestAdapter();
  if (!adapter) return null;
  const device = await adapter.requestDevice();
  try {
    const invocations = 64 * Math.min(4096, device.limits.maxComputeWorkgroupsPerDimension);
    const sink = device.createBuffer({ label: 'peak sink', size: invocations * 16, usage: GPUBufferUsage.STORAGE });
    const pipeline = device.createComputePipeline({
      label: 'peak', layout: 'auto', compute: { module: device.createShaderModule({ label: 'peak', code: PEAK_WGSL }), entryPoint: 'main' },
    });
    const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: sink } }] });
    const gflops = await best(async () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(invocations / 64);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return invocations * ROUNDS * CHAINS * 4 * 2;
    });
    sink.destroy();
    return gflops;
  } finally {
    device.destroy();
  }
}

/** f32 GFLOP/s of one WebAssembly thread. */
export async function wasmThreadPeak(): Promise<number> {
  const peak = new WebAssembly.Instance(new WebAssembly.Module(peakWasm as Uint8Array<ArrayBuffer>), {}).exports as unknown as PeakModule;
  const calls = 60_000;
  const steps = calls * (peak.STEPS_PER_CALL.value as number);
  // Many short runs: the first calls run V8's baseline code until the optimised code replaces it, and a
  // shared machine's other work only ever lowers a run's rate.
  return best(async () => {
    peak.microCalls(calls);
    return steps * 64;
  }, 15, 3);
}
