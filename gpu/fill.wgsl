// Zero-fill of a pooled buffer handed out as a new tensor (Backend.tensor without data is zero-filled).
// A compute kernel rather than clearBuffer so that it stays in the step's compute pass (gpu/device.ts).
// Letters: count = vec4 words to clear.

struct Params { count: u32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>; // [count]

@compute @workgroup_size(WG)
fn zero(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i < p.count) { dst[i] = vec4<f32>(0.0); }
}
