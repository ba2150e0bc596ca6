// Embedding lookup, one invocation per output element (runtime/backend.ts embedding; reference:
// runtime/reference/ops.ts embedding): out[n, d] = table[ids[n] - row0, d].
// ids were range-checked on the CPU (runtime/shapes.ts embeddingDims). `table` is a window of the
// rows [row0, row0 + rows) of the whole table (all of it unless the table exceeds one binding): ids outside
// the window are left for the dispatch of their own window.
// Letters: N tokens, V vocabulary, D width.

struct Params { count: u32, width: u32, row0: u32, rows: u32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;        // [N]
// Binding 2, `table` ([rows, D] window of [V, D]) with its read tableAt(i), is prepended by embedding.ts:
// array<f32>, or array<u32> of float16 pairs (a half-precision weight) read through unpack2x16float.
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // [N, D]

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * WG;
  if (e >= p.count) { return; }
  let n = e / p.width;
  let row = u32(ids[n]) - p.row0; // wraps past `rows` for ids below row0
  if (row >= p.rows) { return; }
  out[e] = tableAt(row * p.width + (e - n * p.width));
}
