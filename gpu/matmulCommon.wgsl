// Shared by the matmul designs (matmul.wgsl, matmulTiled.wgsl, matmulSubgroup.wgsl), prepended by matmul.ts
// with the operand bindings and loads: the parameter block, C, the unaligned 4-float load, the guarded loads
// of the tiled and subgroup designs and the store of a 4 x 4 block.
// Each operand is addressed through a leading dimension (ld*), an offset (off*) and a batch stride
// (stride*), so that a launcher can multiply sub-matrices in place.

struct Params {
  m: u32, n: u32, k: u32,
  lda: u32, ldb: u32, ldc: u32,
  offA: u32, offB: u32, offC: u32,
  strideA: u32, strideB: u32, strideC: u32,
  accumulate: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
// Bindings 1 (a) and 2 (b) with loadA/loadB (four consecutive elements) and oneA/oneB (one element) come
// from matmul.ts: float32 operands are array<vec4<f32>> read through run4 below, float16 ones (half-precision
// weights) array<u32> read through unpack2x16float, so every product accumulates in f32.
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

// The four floats of a buffer starting at element e, from the two vec4s that cover them when e may not be
// a multiple of 4: two loads and a shuffle, no dynamic component indexing.
fn run4(lo: vec4<f32>, hi: vec4<f32>, shift: u32) -> vec4<f32> {
  let s1 = vec4(lo.yzw, hi.x);
  let s2 = vec4(lo.zw, hi.xy);
  let s3 = vec4(lo.w, hi.xyz);
  return select(select(select(lo, s1, shift == 1u), s2, shift == 2u), s3, shift == 3u);
}

// C[row0 .. row0 + 3, col0 .. col0 + 3] (=|+=) alpha acc, acc[i] = row i; rows and columns past C skipped.
fn store(baseC: u32, row0: u32, col0: u32, acc: mat4x4<f32>) {
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

// Element (row, col) of a stored [rows, cols] operand at base, zero outside it: the tiled and subgroup
// designs walk whole tiles and slices, so they read past the edges and multiply zeros there. (Each design
// declares ALIGNED.)
fn atA(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> f32 {
  if (row >= rows || col >= cols) { return 0.0; }
  return oneA(base + row * p.lda + col);
}
fn atB(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> f32 {
  if (row >= rows || col >= cols) { return 0.0; }
  return oneB(base + row * p.ldb + col);
}

// Stored elements (row, col .. col + 3): one vec4 load when aligned and inside, else four guarded loads.
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
