// The arithmetic peak of the device a platform runs on, measured in the same run as the matmul sweep, so
// that each matmul figure can be read as a fraction of what the hardware (or the software driver) can do:
// WebGPU: a WGSL kernel of independent vec4 fused multiply-adds on registers, over enough invocations to
// fill the device; WebAssembly: asm/peak (f32x4 multiplies and adds on registers) on one thread, times the
// backend's thread count. Both are upper bounds no real kernel reaches; what matters is the ratio.
import peakWasm from '../build/peak.wasm';
import type { instantiate } from '../build/peak.js';
import { getGPU } from '../gpu/provider.js';

type PeakModule = Awaited<ReturnType<typeof instantiate>>;

const ROUNDS = 256; // per WGSL invocation
const CHAINS = 8; // vec4 accumulators per invocation

const PEAK_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> sink: array<vec4f>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let m = vec4f(0.999999);
  let c = vec4f(0.000001);
  var a = array<vec4f, ${CHAINS}>();
  for (var k = 0u; k < ${CHAINS}u; k++) { a[k] = vec4f(f32(id.x + k) * 1e-7); }
  for (var i = 0u; i < ${ROUNDS}u; i++) {
    for (var k = 0u; k < ${CHAINS}u; k++) { a[k] = fma(a[k], m, c); }
  }
  var s = vec4f(0.0);
  for (var k = 0u; k < ${CHAINS}u; k++) { s += a[k]; }
  sink[id.x] = s;
}`;

/** GFLOP/s of the best of a few timed runs of `run(): flops`. */
async function best(run: () => Promise<number>, runs = 5): Promise<number> {
  await run(); // warm-up: compilation
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
  const rounds = 2_000_000;
  return best(async () => {
    peak.fmaRounds(rounds);
    return rounds * 12 * 4 * 2;
  });
}
