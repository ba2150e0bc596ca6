// One SIMD row primitive that the elementwise kernels share: dst[0:w] += src[0:w], f32x4 at a time with a
// scalar tail. Deliberately no bounds checks (done at the TypeScript edge) and no alignment assumptions
// (chunks of width R start at any column).

/** dst[0:w] += src[0:w]; the ranges must not overlap. */
export function addRow(dst: usize, src: usize, w: i32): void {
  const end = dst + (<usize>w << 2);
  const vecEnd = dst + (<usize>(w & ~3) << 2);
  while (dst < vecEnd) {
    v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)));
    dst += 16;
    src += 16;
  }
  while (dst < end) {
    store<f32>(dst, load<f32>(dst) + load<f32>(src));
    dst += 4;
    src += 4;
  }
}
