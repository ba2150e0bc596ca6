// Bat (PEFT init_weights="bat", docs/blocks.md), block by block over R x R blocks of the weight, with i the
// output block, k the input block, a/b the row/column inside a block:
//   affine:   dst_ik = w_ik (I + m_i) + c_i           (forward weight, merge)
//   gradTile: db_i = sum_k (w_ik + I)^T s_ik           for the output blocks of one slab s = g_i^T x
// gradTile reads a slab [blocks * R, I] of the product g^T x that bat.ts has the matmul kernel write for a
// bounded group of output blocks at a time: the whole [O, I] product never exists.
// Letters: see runtime/backend.ts.

// affine: out, inF, r. gradTile: also w0, db0 (the group's first weight element and first db element,
// from the block plan, runtime/blocks.ts) and blocks (the group's output blocks).
struct Params { out: u32, inF: u32, r: u32, w0: u32, db0: u32, blocks: u32 }

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> w: array<f32>;         // [O, I]
@group(0) @binding(2) var<storage, read> m: array<f32>;         // [O/R, R, R]
@group(0) @binding(3) var<storage, read> c: array<f32>;         // [O/R, R, R]
@group(0) @binding(4) var<storage, read_write> dst: array<f32>; // [O, I]

@compute @workgroup_size(WG)
fn affine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * WG;
  if (e >= p.out * p.inF) { return; }
  let o = e / p.inF;
  let col = e - o * p.inF;
  let i = o / p.r;
  let b = col % p.r;
  let rowStart = e - b; // w[o, k R]: the start of this block's row
  let blk = i * p.r * p.r;
  var sum = w[e] + c[blk + (o - i * p.r) * p.r + b];
  for (var j = 0u; j < p.r; j++) { sum += w[rowStart + j] * m[blk + j * p.r + b]; }
  dst[e] = sum;
}

@group(0) @binding(2) var<storage, read> slab: array<f32>;      // [blocks * R, I]: rows block0 R .. of g^T x
@group(0) @binding(3) var<storage, read_write> db: array<f32>;  // [O/R, R, R]

@compute @workgroup_size(WG)
fn gradTile(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * WG; // (block - block0, a, b)
  let rr = p.r * p.r;
  if (e >= p.blocks * rr) { return; }
  let local = e / rr;
  let a = (e - local * rr) / p.r;
  let b = e % p.r;
  let wBlock = p.w0 + local * p.r * p.inF; // first weight element of block i
  let sRow = local * p.r;                   // first slab row of block i
  var sum = 0.0;
  for (var kc = 0u; kc < p.inF; kc += p.r) {
    // (w_ik + I)^T s_ik at (a, b): the identity contributes s_ik[a, b].
    var t = slab[(sRow + a) * p.inF + kc + b];
    for (var j = 0u; j < p.r; j++) {
      t += w[wBlock + j * p.inF + kc + a] * slab[(sRow + j) * p.inF + kc + b];
    }
    sum += t;
  }
  db[p.db0 + e] = sum;
}
