// Element-wise transformer ops, one invocation per element (runtime/model/ops.ts; reference:
// runtime/reference/ops.ts swiglu, swigluBackward, add):
//   swiglu:   out = silu(gate) up, silu(g) = g sigmoid(g)
//   swigluBackward: dup = dout silu(gate); dgate = dout up sigmoid(g) (1 + g (1 - sigmoid(g)))
//   add:      y += a
// The grid may fold into y (gpu/device.ts grid), so the linear index is rebuilt from both dimensions.

struct Params { count: u32 }

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
