// The gradient of the embedding lookup, one invocation per table element (runtime/backend.ts
// embeddingBackward; reference: runtime/reference/ops.ts embeddingBackward):
//   dtable[v, d] (+)= sum over the positions n with ids[n] = v of dout[n, d].
// WGSL has no float atomics, so the CPU groups the positions by token (embeddingBackward.ts) and each
// element sums its own token's positions in order: no races, and the same sums on every run.
// Letters: N tokens, V vocabulary, D width, U distinct tokens of the batch.

struct Params { vocab: u32, width: u32, accumulate: u32, distinct: u32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;
// [V] slot of each token among the distinct ones (0xffffffff: not in the batch), then [U + 1] where each
// slot's positions start, then [N] the positions grouped by token.
@group(0) @binding(1) var<storage, read> groups: array<u32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;          // [N, D]
@group(0) @binding(3) var<storage, read_write> dtable: array<f32>;  // [V, D]

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let e = gid.x + gid.y * n.x * WG;
  if (e >= p.vocab * p.width) { return; }
  let v = e / p.width;
  let d = e - v * p.width;
  var sum = 0.0;
  let slot = groups[v];
  if (slot != 0xffffffffu) {
    let starts = p.vocab;
    let positions = p.vocab + p.distinct + 1u;
    for (var i = groups[starts + slot]; i < groups[starts + slot + 1u]; i++) {
      sum += dout[groups[positions + i] * p.width + d];
    }
  }
  if (p.accumulate != 0u) { sum += dtable[e]; }
  dtable[e] = sum;
}
