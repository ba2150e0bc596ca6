// C[Bt, M, N] (=|+=) alpha * op(A)[Bt, M, K] op(B)[Bt, K, N], register-blocked: every invocation computes a
// 4 x 4 block of C, reading A and B four floats at a time, with no workgroup memory and no barriers (on CPU
// Vulkan drivers a barrier costs far more than the loads it saves; on GPUs the 4 x 4 block still gives 64
// FMAs per 8 vector loads and neighbouring invocations share cache lines).
// Letters: see runtime/backend.ts. Each operand is addressed through a leading dimension (ld*), an offset
// (off*) and a batch stride (stride*), so that a launcher can multiply sub-matrices in place.
// The 4 x 4 blocks are kept transposed (columns = rows of op(A) / columns of op(B)) so that the common,
// untransposed case loads straight into matrix columns and the block update is one mat4x4 product.

struct Params {
  m: u32, n: u32, k: u32,
  lda: u32, ldb: u32, ldc: u32,
  offA: u32, offB: u32, offC: u32,
  strideA: u32, strideB: u32, strideC: u32,
  accumulate: u32,
  alpha: f32,
}

// A is stored [Bt, K, M] (transposed) instead of [Bt, M, K]; B is stored [Bt, N, K] instead of [Bt, K, N].
override TRANS_A: bool = false;
override TRANS_B: bool = false;
// Both operands' 4-float runs start at multiples of 4 (every ld, offset and stride is one): one vec4 load
// instead of two and a shuffle. One flag for both keeps the pipeline count (and cold compile time) down.
override ALIGNED: bool = false;
override WG_X: u32 = 8;
override WG_Y: u32 = 8;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

// The four floats of a buffer starting at element e, from the two vec4s that cover them when e may not be
// a multiple of 4: two loads and a shuffle, no dynamic component indexing.
fn run4(lo: vec4<f32>, hi: vec4<f32>, shift: u32) -> vec4<f32> {
  let s1 = vec4(lo.yzw, hi.x);
  let s2 = vec4(lo.zw, hi.xy);
  let s3 = vec4(lo.w, hi.xyz);
  return select(select(select(lo, s1, shift == 1u), s2, shift == 2u), s3, shift == 3u);
}
fn loadA(e: u32) -> vec4<f32> {
  if (ALIGNED) { return a[e >> 2u]; }
  return run4(a[e >> 2u], a[(e >> 2u) + 1u], e & 3u);
}
fn loadB(e: u32) -> vec4<f32> {
  if (ALIGNED) { return b[e >> 2u]; }
  return run4(b[e >> 2u], b[(e >> 2u) + 1u], e & 3u);
}

// AT (4 x 4): column i = op(A)[row0 + i, kk .. kk + 3]. Rows past M are clamped (their results are never stored).
fn blockA(base: u32, row0: u32, kk: u32) -> mat4x4<f32> {
  if (TRANS_A) {
    let t = mat4x4(loadA(base + kk * p.lda + row0), loadA(base + (kk + 1u) * p.lda + row0),
                   loadA(base + (kk + 2u) * p.lda + row0), loadA(base + (kk + 3u) * p.lda + row0));
    return transpose(t);
  }
  let last = p.m - 1u;
  return mat4x4(loadA(base + min(row0, last) * p.lda + kk), loadA(base + min(row0 + 1u, last) * p.lda + kk),
                loadA(base + min(row0 + 2u, last) * p.lda + kk), loadA(base + min(row0 + 3u, last) * p.lda + kk));
}

// BT (4 x 4): column q = op(B)[kk + q, col0 .. col0 + 3]. Columns past N are clamped likewise.
fn blockB(base: u32, col0: u32, kk: u32) -> mat4x4<f32> {
  if (TRANS_B) {
    let last = p.n - 1u;
    let t = mat4x4(loadB(base + min(col0, last) * p.ldb + kk), loadB(base + min(col0 + 1u, last) * p.ldb + kk),
                   loadB(base + min(col0 + 2u, last) * p.ldb + kk), loadB(base + min(col0 + 3u, last) * p.ldb + kk));
    return transpose(t);
  }
  return mat4x4(loadB(base + kk * p.ldb + col0), loadB(base + (kk + 1u) * p.ldb + col0),
                loadB(base + (kk + 2u) * p.ldb + col0), loadB(base + (kk + 3u) * p.ldb + col0));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  if (row0 >= p.m || col0 >= p.n) { return; }
  let baseA = p.offA + gid.z * p.strideA;
  let baseB = p.offB + gid.z * p.strideB;

  // acc (4 x 4, transposed): acc[i][j] = sum over k of op(A)[row0 + i, k] op(B)[k, col0 + j].
  var acc = mat4x4<f32>();
  let whole = p.k & ~3u;
  for (var kk = 0u; kk < whole; kk += 4u) {
    acc += blockB(baseB, col0, kk) * blockA(baseA, row0, kk);
  }
  // The last K % 4 steps: the block reads past K are zeroed in both operands (a garbage value times zero
  // could still be NaN).
  if (whole < p.k) {
    let keep = vec4<u32>(whole, whole + 1u, whole + 2u, whole + 3u) < vec4(p.k);
    // Reads past K may fall outside the buffer on the last row: robust access makes them harmless.
    let at = blockA(baseA, row0, whole);
    let bt = blockB(baseB, col0, whole);
    let z = vec4<f32>();
    let atm = mat4x4(select(z, at[0], keep), select(z, at[1], keep), select(z, at[2], keep), select(z, at[3], keep));
    let btm = mat4x4(select(z, bt[0], keep.x), select(z, bt[1], keep.y), select(z, bt[2], keep.z), select(z, bt[3], keep.w));
    acc += btm * atm;
  }

  let baseC = p.offC + gid.z * p.strideC;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= p.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= p.n) { break; }
      let e = baseC + row * p.ldc + col;
      var v = p.alpha * acc[i][j];
      if (p.accumulate != 0u) { v += c[e]; }
      c[e] = v;
    }
  }
}
