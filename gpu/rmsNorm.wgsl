// RMSNorm forward and input gradient, one workgroup per row, and the weight gradient, one invocation per
// column (runtime/backend.ts; reference: runtime/reference/ops.ts rmsNorm, rmsNormBackward, rmsNormWeightGrad):
//   forward:  rstd[n] = 1 / sqrt(mean_d x[n, d]^2 + eps); y[n, d] = x[n, d] rstd[n] w[d]
//   backward: with u = w dy: dx[n, d] += rstd u[d] - x[n, d] rstd^3 mean_d(u x)   (accumulating)
//   weightGrad: dw[d] = sum_n dy[n, d] x[n, d] rstd[n]
// Each invocation walks the row with stride WG, then one workgroup reduction (reduce.wgsl) per row.
// Letters: N rows, D width.

struct Params { rows: u32, width: u32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // [N, D]
@group(0) @binding(2) var<storage, read> w: array<f32>;          // [D]
// forward
@group(0) @binding(3) var<storage, read_write> y: array<f32>;    // [N, D]
@group(0) @binding(4) var<storage, read_write> rstdOut: array<f32>; // [N]
// backward
@group(0) @binding(3) var<storage, read> rstd: array<f32>;       // [N]
@group(0) @binding(4) var<storage, read> dy: array<f32>;         // [N, D]
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;   // [N, D]
// weightGrad
@group(0) @binding(2) var<storage, read> rstdIn: array<f32>;     // [N]
@group(0) @binding(3) var<storage, read> dyIn: array<f32>;       // [N, D]
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;   // [D]

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.width;
  var sq = 0.0;
  for (var d = lid; d < p.width; d += WG) { let v = x[base + d]; sq += v * v; }
  let r = 1.0 / sqrt(workgroupSum(lid, sq) / f32(p.width) + p.eps);
  if (lid == 0u) { rstdOut[row] = r; }
  for (var d = lid; d < p.width; d += WG) { y[base + d] = x[base + d] * r * w[d]; }
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.width;
  var dot = 0.0;
  for (var d = lid; d < p.width; d += WG) { dot += w[d] * dy[base + d] * x[base + d]; }
  let r = rstd[row];
  let c = r * r * r * workgroupSum(lid, dot) / f32(p.width);
  for (var d = lid; d < p.width; d += WG) { dx[base + d] += r * w[d] * dy[base + d] - c * x[base + d]; }
}

@compute @workgroup_size(WG)
fn weightGrad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  if (d >= p.width) { return; }
  var sum = 0.0;
  for (var n = 0u; n < p.rows; n++) { sum += dyIn[n * p.width + d] * x[n * p.width + d] * rstdIn[n]; }
  dw[d] = sum;
}
