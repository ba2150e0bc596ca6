// C[Bt, M, N] (=|+=) alpha * op(A)[Bt, M, K] op(B)[Bt, K, N] with subgroup shuffles instead of workgroup
// memory: no tile, no barrier. A workgroup of 64 invocations computes 8 rows x 256 columns of C, each
// invocation an 8 x 4 block. All invocations of a workgroup share the same 8 rows of op(A), so any subgroup
// does, however the driver groups invocations: through K in chunks of the subgroup's size, lane l loads
// op(A)[8 rows, k0 + l] (two vec4s, coalesced across lanes when A is stored [M, K]) and every lane takes
// the chunk's other columns from its neighbours with subgroupShuffle, while it loads its own op(B)[k, 4
// columns] straight from the buffer (coalesced across lanes when B is stored [K, N]). So each op(A) value is
// read once per workgroup instead of once per invocation, without the barriers a workgroup tile needs.
// It needs every subgroup full (subgroupShuffle from an inactive lane is undefined): matmul.ts uses it only
// where the adapter's largest subgroup divides the 64 invocations. Same parameter block, bindings, operand
// loads and store (matmulCommon.wgsl and matmul.ts, prepended, after `enable subgroups;`) as matmul.wgsl.
// Letters: see runtime/backend.ts.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ALIGNED: bool = false;

const WG = 64u;
const ROWS = 8u;
const COLS = 4u * WG;

// op(A)[row0 .. row0 + 3, k], zero past M and K.
fn columnA(base: u32, row0: u32, k: u32) -> vec4<f32> {
  if (TRANS_A) { return runA(base, k, row0, p.k, p.m); }
  return vec4(atA(base, row0, k, p.m, p.k), atA(base, row0 + 1u, k, p.m, p.k),
              atA(base, row0 + 2u, k, p.m, p.k), atA(base, row0 + 3u, k, p.m, p.k));
}
// op(B)[k, col .. col + 3], zero past K and N.
fn rowOfB(base: u32, k: u32, col: u32) -> vec4<f32> {
  if (!TRANS_B) { return runB(base, k, col, p.k, p.n); }
  return vec4(atB(base, col, k, p.n, p.k), atB(base, col + 1u, k, p.n, p.k),
              atB(base, col + 2u, k, p.n, p.k), atB(base, col + 3u, k, p.n, p.k));
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) lanes: u32) {
  let row0 = wid.y * ROWS;
  let col = wid.x * COLS + 4u * lid.x;
  let baseA = p.offA + wid.z * p.strideA;
  let baseB = p.offB + wid.z * p.strideB;
  // top[i] = C[row0 + i, col .. col + 3], bottom[i] = C[row0 + 4 + i, ...] before alpha. Invocations past N
  // still run the loop (their shuffles feed the others) and store nothing.
  var top = mat4x4<f32>();
  var bottom = mat4x4<f32>();
  for (var k0 = 0u; k0 < p.k; k0 += lanes) {
    let mineTop = columnA(baseA, row0, k0 + lane);
    let mineBottom = columnA(baseA, row0 + 4u, k0 + lane);
    let steps = min(lanes, p.k - k0);
    for (var j = 0u; j < steps; j++) {
      let a0 = subgroupShuffle(mineTop, j);
      let a1 = subgroupShuffle(mineBottom, j);
      let b = rowOfB(baseB, k0 + j, col);
      top[0] += a0.x * b; top[1] += a0.y * b; top[2] += a0.z * b; top[3] += a0.w * b;
      bottom[0] += a1.x * b; bottom[1] += a1.y * b; bottom[2] += a1.z * b; bottom[3] += a1.w * b;
    }
  }
  let baseC = p.offC + wid.z * p.strideC;
  store(baseC, row0, col, top);
  store(baseC, row0 + 4u, col, bottom);
}
