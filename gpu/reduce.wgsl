// Workgroup reductions shared by the row-wise kernels (rmsNorm.wgsl, crossEntropy.wgsl, optimizer.wgsl):
// the launchers prepend this file to their source. Each reduction is a tree over WG partial values in
// workgroup memory: log2(WG) barriers once per row, never inside a kernel's per-element loop (CPU Vulkan
// drivers pay dearly per barrier). WG must be a power of two; every invocation of the workgroup must call.

override WG: u32 = 64;

var<workgroup> partial: array<f32, WG>;

fn workgroupSum(lid: u32, value: f32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier(); // a following reduction overwrites partial[0]
  return total;
}

fn workgroupMax(lid: u32, value: f32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) { partial[lid] = max(partial[lid], partial[lid + half]); }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
