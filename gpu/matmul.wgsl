// C[Bt, M, N] (=|+=) alpha * op(A)[Bt, M, K] op(B)[Bt, K, N], register-blocked: every invocation computes an
// 8 x 8 block of C as a sum of K outer products, op(A)[8 rows, k] times op(B)[k, 8 columns], with no workgroup
// memory and no barriers (on CPU Vulkan drivers a barrier costs far more than the loads it saves).
// Why this shape: Mesa's llvmpipe (lavapipe 25.0, the CI driver) runs 8 invocations per SIMD vector and, inside
// any loop, fetches every storage-buffer float lane by lane with a bounds check and a branch, so a matmul there
// is bound by the floats each invocation loads per FMA and by the live values that spill, not by arithmetic.
// The 8 x 8 block loads 16 floats per 64 FMAs (the earlier 4 x 4 block of 4-step mat4x4 products: 32 per 64),
// and one k at a time keeps only the accumulators and 16 inputs live (an 8 x 8 block of 4-step products
// spills and ran slower than the 4 x 4 one). Measured on lavapipe (GFLOP per CPU-second, best of runs, against
// the 4 x 4 kernel): [256, 49152] x [49152, 576] and 512^3 1.4x, [256, 576]^T x [256, 1536] 2x,
// [256, 576] x [49152, 576]^T 1.1x.
// Letters: see runtime/backend.ts. The parameter block, the bindings of C and the store are in
// matmulCommon.wgsl, the operand bindings and loads come from matmul.ts; both are prepended.

// A is stored [Bt, K, M] (transposed) instead of [Bt, M, K]; B is stored [Bt, N, K] instead of [Bt, K, N].
override TRANS_A: bool = false;
override TRANS_B: bool = false;
// Both operands' 4-float runs start at multiples of 4 (every ld, offset and stride is one): one vec4 load
// instead of two and a shuffle. One flag for both keeps the pipeline count (and cold compile time) down.
override ALIGNED: bool = false;
override WG_X: u32 = 8;
override WG_Y: u32 = 8;

// op(A)[row0 .. row0 + 3, kk]: contiguous when A is stored transposed. Rows past M are clamped (their
// results are never stored); with A transposed, reads past M stay inside the buffer or are made harmless by
// robust access.
fn colA(base: u32, row0: u32, kk: u32) -> vec4<f32> {
  if (TRANS_A) { return loadA(base + kk * p.lda + row0); }
  let last = p.m - 1u;
  return vec4(oneA(base + min(row0, last) * p.lda + kk), oneA(base + min(row0 + 1u, last) * p.lda + kk),
              oneA(base + min(row0 + 2u, last) * p.lda + kk), oneA(base + min(row0 + 3u, last) * p.lda + kk));
}
// op(B)[kk, col0 .. col0 + 3]: contiguous unless B is stored transposed; columns past N clamped likewise.
fn rowB(base: u32, col0: u32, kk: u32) -> vec4<f32> {
  if (!TRANS_B) { return loadB(base + kk * p.ldb + col0); }
  let last = p.n - 1u;
  return vec4(oneB(base + min(col0, last) * p.ldb + kk), oneB(base + min(col0 + 1u, last) * p.ldb + kk),
              oneB(base + min(col0 + 2u, last) * p.ldb + kk), oneB(base + min(col0 + 3u, last) * p.ldb + kk));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col0 = gid.x * 8u;
  let row0 = gid.y * 8u;
  if (row0 >= p.m || col0 >= p.n) { return; }
  let baseA = p.offA + gid.z * p.strideA;
  let baseB = p.offB + gid.z * p.strideB;
  // cRC[i] = C[row0 + 4R + i, col0 + 4C .. col0 + 4C + 3] before alpha.
  var c00 = mat4x4<f32>();
  var c01 = mat4x4<f32>();
  var c10 = mat4x4<f32>();
  var c11 = mat4x4<f32>();
  for (var kk = 0u; kk < p.k; kk++) {
    let a0 = colA(baseA, row0, kk);
    let a1 = colA(baseA, row0 + 4u, kk);
    let b0 = rowB(baseB, col0, kk);
    let b1 = rowB(baseB, col0 + 4u, kk);
    c00[0] += a0.x * b0; c00[1] += a0.y * b0; c00[2] += a0.z * b0; c00[3] += a0.w * b0;
    c01[0] += a0.x * b1; c01[1] += a0.y * b1; c01[2] += a0.z * b1; c01[3] += a0.w * b1;
    c10[0] += a1.x * b0; c10[1] += a1.y * b0; c10[2] += a1.z * b0; c10[3] += a1.w * b0;
    c11[0] += a1.x * b1; c11[1] += a1.y * b1; c11[2] += a1.z * b1; c11[3] += a1.w * b1;
  }
  let baseC = p.offC + gid.z * p.strideC;
  store(baseC, row0, col0, c00);
  store(baseC, row0, col0 + 4u, c01);
  store(baseC, row0 + 4u, col0, c10);
  store(baseC, row0 + 4u, col0 + 4u, c11);
}
