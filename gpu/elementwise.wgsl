// Element-wise transformer ops, one invocation per element (runtime/backend.ts; reference:
// runtime/reference/ops.ts swiglu, swigluBackward, add):
//   swiglu:   out = silu(gate) up, silu(g) = g sigmoid(g)
//   swigluBackward: dup = dout silu(gate); dgate = dout up sigmoid(g) (1 + g (1 - sigmoid(g)))
//   add:      y += a
//   dropout:  y = keep(i) ? a / (1 - p) : 0 (dropoutInPlace: the same on one buffer, for x aliasing out),
//             keep(i) the counter-based hash of runtime/backend.ts dropoutKeeps, in u32 arithmetic whose
//             multiplies wrap exactly as Math.imul does, so the mask is the reference's bit for bit
// The grid may fold into y (gpu/device.ts grid), so the linear index is rebuilt from both dimensions.

// seed, threshold and scale are read by dropout only.
struct Params { count: u32, seed: u32, threshold: u32, scale: f32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;   // swiglu
@group(0) @binding(3) var<storage, read> dout: array<f32>;        // swigluBackward
@group(0) @binding(4) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(5) var<storage, read_write> dup: array<f32>;
// add
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// dropoutInPlace
@group(0) @binding(1) var<storage, read_write> xy: array<f32>;

fn index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// 1 / (1 + exp(-g)): exp overflows to +inf for very negative g, giving 0 as it should.
fn sigmoid(g: f32) -> f32 {
  return 1.0 / (1.0 + exp(-g));
}

@compute @workgroup_size(WG)
fn swiglu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = index(gid, groups);
  if (e >= p.count) { return; }
  let g = gate[e];
  out[e] = g * sigmoid(g) * up[e];
}

@compute @workgroup_size(WG)
fn swigluBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = index(gid, groups);
  if (e >= p.count) { return; }
  let g = gate[e];
  let s = sigmoid(g);
  dup[e] = dout[e] * g * s;
  dgate[e] = dout[e] * up[e] * s * (1.0 + g * (1.0 - s));
}

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = index(gid, groups);
  if (e >= p.count) { return; }
  y[e] += a[e];
}

fn keeps(i: u32) -> bool {
  var h = i * 0x9E3779B1u + p.seed * 0x85EBCA77u;
  h ^= h >> 16u;
  h *= 0x7FEB352Du;
  h ^= h >> 15u;
  h *= 0x846CA68Bu;
  h ^= h >> 16u;
  return h >= p.threshold;
}

@compute @workgroup_size(WG)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = index(gid, groups);
  if (e >= p.count) { return; }
  y[e] = select(0.0, a[e] * p.scale, keeps(e));
}

@compute @workgroup_size(WG)
fn dropoutInPlace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = index(gid, groups);
  if (e >= p.count) { return; }
  xy[e] = select(0.0, xy[e] * p.scale, keeps(e));
}
