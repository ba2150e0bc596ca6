// C[Bt, M, N] (=|+=) alpha * op(A)[Bt, M, K] op(B)[Bt, K, N], workgroup-tiled for hardware GPUs: a
// workgroup of 16 x 16 invocations computes a 64 x 64 tile of C, stepping through K in slices of 16; each
// slice of op(A) [64, 16] and op(B) [16, 64] is loaded once into workgroup memory (one vec4 load per
// invocation per operand, coalesced along the stored rows), and each invocation then forms its 4 x 4 block of
// C from registers: 8 workgroup-memory vec4 reads per 16 k-steps of 16 FMAs. The classic shared-memory
// design (the CUDA SGEMM tutorials, and the WebGPU matmuls that reach a good fraction of peak); on CPU
// drivers a barrier costs more than the loads it saves, so software adapters keep matmul.wgsl.
// Same parameter block, bindings, operand loads and store (matmulCommon.wgsl and matmul.ts, prepended) and
// dispatch grid as matmul.wgsl, so matmul.ts picks either per adapter. Letters: see runtime/backend.ts.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ALIGNED: bool = false;
override WG_X: u32 = 16;
override WG_Y: u32 = 16;

const TILE = 64u;  // rows and columns of C per workgroup: 16 invocations x 4
const SLICE = 16u; // k-steps per slice held in workgroup memory

// tileA[kk * 16 + r4] = op(A)[row0 + 4 r4 .. + 3, k0 + kk]; tileB[kk * 16 + c4] = op(B)[k0 + kk, col0 + 4 c4 .. + 3].
var<workgroup> tileA: array<vec4<f32>, 256>;
var<workgroup> tileB: array<vec4<f32>, 256>;

// Element (row, col) of a stored [rows, cols] operand X at base, zero outside it.
fn atA(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> f32 {
  if (row >= rows || col >= cols) { return 0.0; }
  return oneA(base + row * p.lda + col);
}
fn atB(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> f32 {
  if (row >= rows || col >= cols) { return 0.0; }
  return oneB(base + row * p.ldb + col);
}

// Stored elements (row, col .. col + 3) of A: one vec4 load when aligned and inside, else four guarded loads.
fn runA(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> vec4<f32> {
  if (ALIGNED && row < rows && col + 3u < cols) { return loadA(base + row * p.lda + col); }
  return vec4(atA(base, row, col, rows, cols), atA(base, row, col + 1u, rows, cols),
              atA(base, row, col + 2u, rows, cols), atA(base, row, col + 3u, rows, cols));
}
fn runB(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> vec4<f32> {
  if (ALIGNED && row < rows && col + 3u < cols) { return loadB(base + row * p.ldb + col); }
  return vec4(atB(base, row, col, rows, cols), atB(base, row, col + 1u, rows, cols),
              atB(base, row, col + 2u, rows, cols), atB(base, row, col + 3u, rows, cols));
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let baseA = p.offA + wid.z * p.strideA;
  let baseB = p.offB + wid.z * p.strideB;
  let li = lid.y * WG_X + lid.x; // 0 .. 255
  var acc = mat4x4<f32>();
  for (var k0 = 0u; k0 < p.k; k0 += SLICE) {
    // op(A)[row0 .. + 63, k0 .. + 15]: each invocation one run of 4 along the stored rows.
    if (TRANS_A) { // stored [K, M]: 4 consecutive rows of op(A) at one k
      let kk = li / 16u;
      let r4 = li % 16u;
      tileA[kk * 16u + r4] = runA(baseA, k0 + kk, row0 + 4u * r4, p.k, p.m);
    } else { // stored [M, K]: 4 consecutive k of one row, scattered into 4 slots
      let r = li / 4u;
      let q = li % 4u;
      let v = runA(baseA, row0 + r, k0 + 4u * q, p.m, p.k);
      for (var i = 0u; i < 4u; i++) { tileA[(4u * q + i) * 16u + r / 4u][r % 4u] = v[i]; }
    }
    // op(B)[k0 .. + 15, col0 .. + 63].
    if (TRANS_B) { // stored [N, K]: 4 consecutive k of one column, scattered
      let cn = li / 4u;
      let q = li % 4u;
      let v = runB(baseB, col0 + cn, k0 + 4u * q, p.n, p.k);
      for (var i = 0u; i < 4u; i++) { tileB[(4u * q + i) * 16u + cn / 4u][cn % 4u] = v[i]; }
    } else { // stored [K, N]: 4 consecutive columns at one k
      let kk = li / 16u;
      let c4 = li % 16u;
      tileB[kk * 16u + c4] = runB(baseB, k0 + kk, col0 + 4u * c4, p.k, p.n);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < SLICE; kk++) {
      let a = tileA[kk * 16u + lid.y];
      let b = tileB[kk * 16u + lid.x];
      acc[0] += a.x * b; acc[1] += a.y * b; acc[2] += a.z * b; acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  store(p.offC + wid.z * p.strideC, row0 + 4u * lid.y, col0 + 4u * lid.x, acc);
}
