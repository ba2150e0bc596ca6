// The two block-indexing primitives (runtime/backend.ts fold, tile; docs/blocks.md): columns taken modulo a
// width R (Bone: R = r over the input features, zero-padded; mini: R = mini_r over the output features):
//   fold: narrow[n, j] = sum_t wide[n, t R + j]   (Bone's chunk sum, mini's fold of the output gradient)
//   tile: wide[n, c] += narrow[n, c mod R]        (Bone's input gradient, mini's output, a bias over N * O)
// One invocation per output element; neither kernel ever forms an [O, I] matrix.
// Letters: see runtime/backend.ts; W is the wide width (I for Bone, O for mini, N * O for a bias).

struct Params { rows: u32, wide: u32, narrow: u32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;

// fold: src = wide [N, W], dst = narrow [N, R] (overwritten). tile: src = narrow, dst = wide (added to).
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn fold(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * WG;
  if (e >= p.rows * p.narrow) { return; }
  let row = e / p.narrow;
  let j = e - row * p.narrow;
  var sum = 0.0;
  for (var col = j; col < p.wide; col += p.narrow) { sum += src[row * p.wide + col]; }
  dst[e] = sum;
}

@compute @workgroup_size(WG)
fn tile(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * WG;
  if (e >= p.rows * p.wide) { return; }
  let row = e / p.wide;
  let col = e - row * p.wide;
  dst[e] += src[row * p.narrow + col % p.narrow];
}
