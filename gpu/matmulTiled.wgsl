// C[Bt, M, N] (=|+=) alpha * op(A)[Bt, M, K] op(B)[Bt, K, N], workgroup-tiled for hardware GPUs: a
// workgroup computes a TM x TN tile of C, stepping through K in slices of 16; each slice of op(A) [TM, 16]
// and op(B) [16, TN] is loaded once into workgroup memory (vec4 loads coalesced along the stored rows), and
// each of the (TM / RM) x (TN / RN) invocations then forms its RM x RN block of C from registers. The classic
// shared-memory design (the CUDA SGEMM tutorials, and the WebGPU matmuls that reach a good fraction of
// peak); on CPU drivers a barrier costs more than the loads it saves, so software adapters keep matmul.wgsl.
// A template: matmul.ts prepends the tile shape (TM, TN, RM, RN: gpu/matmulTiles.ts, one of a few chosen on
// the device by gpu/tuning.ts) and TileT, the element type of the workgroup tiles: f32, or f16 for products
// with a float16 operand where halfMath is 'f16' (then `enable f16;` comes first). Products accumulate in
// f32 either way. Same parameter block, bindings, operand loads and store (matmulCommon.wgsl and matmul.ts,
// prepended) as matmul.wgsl. Letters: see runtime/backend.ts.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ALIGNED: bool = false;

const SLICE = 16u;     // k-steps per slice held in workgroup memory
const WG_X = TN / RN;  // invocations along the columns of the tile
const WG_Y = TM / RM;  // and along its rows
const THREADS = WG_X * WG_Y;
const CN = RN / 4u;    // vec4s of columns per invocation
const RUNS_A = TM * SLICE / 4u; // vec4 runs per slice of each operand
const RUNS_B = TN * SLICE / 4u;

// tileA[kk * TM / 4 + r4] = op(A)[row0 + 4 r4 .. + 3, k0 + kk]; tileB[kk * TN / 4 + c4] = op(B)[k0 + kk, col0 + 4 c4 .. + 3].
var<workgroup> tileA: array<vec4<TileT>, RUNS_A>;
var<workgroup> tileB: array<vec4<TileT>, RUNS_B>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let baseA = p.offA + wid.z * p.strideA;
  let baseB = p.offB + wid.z * p.strideB;
  let li = lid.y * WG_X + lid.x;
  // acc[i * CN + j] = C[row0 + RM lid.y + i, col0 + RN lid.x + 4 j .. + 3] before alpha.
  var acc: array<vec4<f32>, RM * CN>;
  for (var k0 = 0u; k0 < p.k; k0 += SLICE) {
    // op(A)[row0 .. + TM - 1, k0 .. + 15]: runs of 4 along the stored rows, THREADS at a time.
    for (var r = li; r < RUNS_A; r += THREADS) {
      if (TRANS_A) { // stored [K, M]: 4 consecutive rows of op(A) at one k
        let kk = r / (TM / 4u);
        let r4 = r % (TM / 4u);
        tileA[r] = vec4<TileT>(runA(baseA, k0 + kk, row0 + 4u * r4, p.k, p.m));
      } else { // stored [M, K]: 4 consecutive k of one row, scattered into 4 slots
        let row = r / (SLICE / 4u);
        let q = r % (SLICE / 4u);
        let v = runA(baseA, row0 + row, k0 + 4u * q, p.m, p.k);
        for (var i = 0u; i < 4u; i++) { tileA[(4u * q + i) * (TM / 4u) + row / 4u][row % 4u] = TileT(v[i]); }
      }
    }
    // op(B)[k0 .. + 15, col0 .. + TN - 1].
    for (var r = li; r < RUNS_B; r += THREADS) {
      if (TRANS_B) { // stored [N, K]: 4 consecutive k of one column, scattered
        let cn = r / (SLICE / 4u);
        let q = r % (SLICE / 4u);
        let v = runB(baseB, col0 + cn, k0 + 4u * q, p.n, p.k);
        for (var i = 0u; i < 4u; i++) { tileB[(4u * q + i) * (TN / 4u) + cn / 4u][cn % 4u] = TileT(v[i]); }
      } else { // stored [K, N]: 4 consecutive columns at one k
        let kk = r / (TN / 4u);
        let c4 = r % (TN / 4u);
        tileB[r] = vec4<TileT>(runB(baseB, k0 + kk, col0 + 4u * c4, p.k, p.n));
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < SLICE; kk++) {
      var b: array<vec4<TileT>, CN>;
      for (var j = 0u; j < CN; j++) { b[j] = tileB[kk * (TN / 4u) + lid.x * CN + j]; }
      for (var i4 = 0u; i4 < RM / 4u; i4++) {
        let a = tileA[kk * (TM / 4u) + lid.y * (RM / 4u) + i4];
        let i = 4u * i4 * CN;
        // Each product in TileT (f16 math: rounded to f16 once more), summed in f32.
        for (var j = 0u; j < CN; j++) {
          acc[i + j] += vec4<f32>(a.x * b[j]);
          acc[i + CN + j] += vec4<f32>(a.y * b[j]);
          acc[i + 2u * CN + j] += vec4<f32>(a.z * b[j]);
          acc[i + 3u * CN + j] += vec4<f32>(a.w * b[j]);
        }
      }
    }
    workgroupBarrier();
  }
  let baseC = p.offC + wid.z * p.strideC;
  for (var i4 = 0u; i4 < RM / 4u; i4++) {
    for (var j = 0u; j < CN; j++) {
      let i = 4u * i4 * CN + j;
      store(baseC, row0 + RM * lid.y + 4u * i4, col0 + RN * lid.x + 4u * j,
            mat4x4(acc[i], acc[i + CN], acc[i + 2u * CN], acc[i + 3u * CN]));
    }
  }
}
