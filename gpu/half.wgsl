// Conversions between float32 tensors and half-precision weights (Backend.weight, copy between the two
// storage types). A float16 tensor is stored as u32 words, each holding two consecutive elements (lower
// half first, as pack2x16float lays them out); the core built-ins pack2x16float / unpack2x16float do the
// conversion, so no `enable f16` is needed here. One invocation per pair of elements, so no two invocations
// write the same word.
// Letters: count = elements of the tensor.

struct Params { count: u32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> halves: array<u32>;            // [ceil(count / 2)]
@group(0) @binding(2) var<storage, read_write> widened: array<f32>;     // [count]

@compute @workgroup_size(WG)
fn widen(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let pair = gid.x + gid.y * groups.x * WG;
  let e = pair * 2u;
  if (e >= p.count) { return; }
  let v = unpack2x16float(halves[pair]);
  widened[e] = v.x;
  if (e + 1u < p.count) { widened[e + 1u] = v.y; }
}

@group(0) @binding(1) var<storage, read> wide: array<f32>;                // [count]
@group(0) @binding(2) var<storage, read_write> narrowed: array<u32>;      // [ceil(count / 2)]

// Rounds to the nearest float16 (values beyond its range become infinite, as PyTorch's .half() does).
@compute @workgroup_size(WG)
fn narrow(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let pair = gid.x + gid.y * groups.x * WG;
  let e = pair * 2u;
  if (e >= p.count) { return; }
  var hi = 0.0;
  if (e + 1u < p.count) { hi = wide[e + 1u]; }
  narrowed[pair] = pack2x16float(vec2(wide[e], hi));
}
