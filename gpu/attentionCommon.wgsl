// What both attention designs share (attention.wgsl: a row per invocation, for CPU drivers;
// attentionTiled.wgsl: workgroup tiles, for hardware GPUs): the parameter block, the bindings and the
// causal window. Each design's module is this text followed by its own.
// Letters: Bt sequences, T tokens each, H query heads, Hk key/value heads, G = H / Hk, E head dimension;
// for generation C cache rows per sequence, P of them filled before this call's Tq = T queries.

// seq: query rows per sequence (T); kvSeq: key/value rows per sequence (T, or C for a cache); past:
// position of each sequence's first query (0, or P). The backward kernels run with kvSeq = T, past = 0.
struct Params { seq: u32, heads: u32, kvHeads: u32, headDim: u32, window: u32, rows: u32, kvSeq: u32, past: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;          // [Bt, T, H * E]
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;          // [Bt, kvSeq, Hk * E]
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;          // [Bt, kvSeq, Hk * E]
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;        // [N, H] (written by forward only)
// forward
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;  // [Bt, T, H * E]
// backward: bindings 1-4 as above, then
@group(0) @binding(5) var<storage, read> dout: array<vec4<f32>>;       // [Bt, T, H * E]
@group(0) @binding(6) var<storage, read_write> delta: array<f32>;      // [N, H]: dout . out per query row
@group(0) @binding(7) var<storage, read_write> dq: array<vec4<f32>>;   // [Bt, T, H * E] (backwardQuery)
@group(0) @binding(8) var<storage, read> outIn: array<vec4<f32>>;      // [Bt, T, H * E] (backwardQuery)
@group(0) @binding(7) var<storage, read_write> dk: array<vec4<f32>>;   // [Bt, T, Hk * E] (backwardKeyValue)
@group(0) @binding(8) var<storage, read_write> dv: array<vec4<f32>>;   // [Bt, T, Hk * E] (backwardKeyValue)

// First key position query t sees: t - W + 1 with a window, else 0.
fn firstKey(t: u32) -> u32 {
  if (p.window > 0u && t + 1u > p.window) { return t + 1u - p.window; }
  return 0u;
}

// Last query position that sees key s (of a sequence whose queries end at position `end`).
fn lastQuery(s: u32, end: u32) -> u32 {
  if (p.window > 0u) { return min(end, s + p.window - 1u); }
  return end;
}

// Offset in vec4s of key/value row s of sequence b for head g.
fn kvOffset(b: u32, s: u32, g: u32) -> u32 {
  return ((b * p.kvSeq + s) * p.kvHeads + g) * (p.headDim / 4u);
}
