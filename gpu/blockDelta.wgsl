// Bone and mini merge: w[o, c] += sign * b[c mod R, o mod M], the tiled B^T of docs/blocks.md added to (or,
// with sign = -1, removed from) the weight in place, one invocation per weight element. The [O, I] delta is
// never formed. Bone is M = O; mini tiles its [R, M] block along the output as well.
// Letters: see runtime/backend.ts.

struct Params { out: u32, inF: u32, r: u32, m: u32, sign: f32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> b: array<f32>;        // [R, M]
@group(0) @binding(2) var<storage, read_write> w: array<f32>;  // [O, I]

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * WG;
  if (e >= p.out * p.inF) { return; }
  let o = e / p.inF;
  let c = e - o * p.inF;
  w[e] += p.sign * b[(c % p.r) * p.m + o % p.m];
}
