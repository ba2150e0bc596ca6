// Rotary embedding in place, rotate-half convention (runtime/backend.ts rope / ropeBackward; reference:
// runtime/reference/ops.ts rope). One invocation per rotated pair (token n, head, i < E/2):
//   (x_i, x_{i+E/2}) <- (x_i cos a - x_{i+E/2} sin a, x_{i+E/2} cos a + x_i sin a),  sin a scaled by `sign`
// The angles positions[n] invFreq[i] are turned into cos/sin on the CPU in float64 (runtime/checked.ts
// ropeTable): in float32 on the GPU, positions in the thousands would lose digits of the angle before the
// sine sees them.
// Letters: N tokens, Hx heads of x, E head dimension.

struct Params { pairs: u32, heads: u32, half: u32, sign: f32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;       // [N, 2, E/2]: cos a, then sin a
@group(0) @binding(2) var<storage, read_write> x: array<f32>;     // [N, Hx * E]

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * WG; // ((n Hx) + head) E/2 + i
  if (e >= p.pairs) { return; }
  let i = e % p.half;
  let rowHead = e / p.half; // n Hx + head
  let n = rowHead / p.heads;
  let c = table[2u * n * p.half + i];
  let s = p.sign * table[(2u * n + 1u) * p.half + i];
  let base = rowHead * 2u * p.half;
  let lo = x[base + i];
  let hi = x[base + i + p.half];
  x[base + i] = lo * c - hi * s;
  x[base + i + p.half] = hi * c + lo * s;
}
