// Single-precision GEMM on 128-bit SIMD: C (=|+=) alpha op(A) op(B) with leading dimensions, so callers can
// hand it sub-matrices (a batch entry, a Bat strip, an attention head, or one thread's slice of C).
// Structure (Goto / BLIS): B is packed K-block by K-block into NR-wide column panels, A into MR-high row
// panels (alpha folded in, transposes resolved while packing), and a register-blocked MR x NR micro-kernel
// keeps its tile of C in f32x4 accumulators for a whole K-block. Edge tiles run the same micro-kernel on
// zero-padded panels into a small tile and copy the valid part out.
// It deliberately does no bounds or shape checks (runtime/shapes.ts `matmulDims` at the TypeScript edge)
// and allocates nothing: the caller passes `pack`, PACK_BYTES of scratch (one block per thread for `matmul`).
// Letters: M rows of C, N columns of C, K inner dimension (runtime/backend.ts).
import { load1, load4, widenLow } from './half';
import { partStart } from './parts';

// Micro-tile MR x NR = 2 x 16: 8 f32x4 accumulators, 4 B vectors and 2 broadcasts fit x86's 16 xmm registers
// as V8 allocates them. Measured on Node 20 (V8 11.3): taller tiles (6 x 8, 4 x 8, 3 x 16) and unrolling the
// K loop make V8 hoist every broadcast load and spill accumulators to the stack; 2 x 16 does not.
// packA's fast paths interleave exactly two rows, so they are written for MR = 2.
const MR = 2;
const NR = 16;
// K-block: one packed B micro-panel (KC x NR floats, 16 KiB) stays in L1 while the A panels stream past it.
const KC = 256;
// Row block of A packed at once (MC x KC floats, 120 KiB, L2) and column block of B (KC x NC, 1 MiB, L2/L3):
// a wide NC packs each A block fewer times.
const MC = 120;
const NC = 1024;

const B_FLOATS = KC * NC;
const A_FLOATS = MC * KC;
/** Scratch bytes `sgemm` needs in `pack`: the B block, the A block and one edge tile. */
export const PACK_BYTES: i32 = (B_FLOATS + A_FLOATS + MR * NR) * 4;

/** One element of a stored operand: f32, or f16 (half.ts) widened. */
@inline function ld(p: usize, half: bool): f32 {
  return half ? load1(p) : load<f32>(p);
}

/** Four consecutive elements of a stored operand as f32x4. */
@inline function ld4(p: usize, half: bool): v128 {
  return half ? load4(p) : v128.load(p);
}

/** Pack op(A)[i0 : i0 + mc, p0 : p0 + kc] * alpha into MR-row panels: panel q is [kc, MR], rows past mc zero.
 *  A is stored [M, K] (lda >= K) or, transposed, [K, M] (lda >= M), in f32 or (`half`) f16 elements. */
function packA(a: usize, lda: i32, transA: bool, half: bool, i0: i32, mc: i32, p0: i32, kc: i32, alpha: f32, dst: usize): void {
  const sh: usize = half ? 1 : 2;
  const scale = f32x4.splat(alpha);
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    let out = dst + ((<usize>ir * kc) << 2);
    let p = 0;
    if (mr == MR) {
      if (transA) {
        // Panel row p is 2 contiguous values of stored row p0 + p.
        let src = a + ((<usize>p0 * lda + i0 + ir) << sh);
        for (; p < kc; p++) {
          const pair = half ? widenLow(v128.load32_zero(src)) : v128.load64_zero(src);
          v128.store64_lane(out, f32x4.mul(pair, scale), 0);
          src += <usize>lda << sh;
          out += MR * 4;
        }
      } else {
        // 4 columns of the 2 stored rows at a time, interleaved into 4 panel rows.
        const row0 = a + ((<usize>(i0 + ir) * lda + p0) << sh);
        const row1 = row0 + (<usize>lda << sh);
        for (; p + 4 <= kc; p += 4) {
          const x0 = f32x4.mul(ld4(row0 + (<usize>p << sh), half), scale);
          const x1 = f32x4.mul(ld4(row1 + (<usize>p << sh), half), scale);
          v128.store(out, i32x4.shuffle(x0, x1, 0, 4, 1, 5));
          v128.store(out, i32x4.shuffle(x0, x1, 2, 6, 3, 7), 16);
          out += MR * 16;
        }
      }
    }
    // Edge panels and the last K columns: element by element, zero past mc.
    for (; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        let v: f32 = 0;
        if (r < mr) {
          const i = i0 + ir + r;
          v = alpha * ld(a + ((transA ? <usize>(p0 + p) * lda + i : <usize>i * lda + p0 + p) << sh), half);
        }
        store<f32>(out, v);
        out += 4;
      }
    }
  }
}

/** Pack op(B)[p0 : p0 + kc, j0 : j0 + nc] into NR-column panels: panel q is [kc, NR], columns past nc zero.
 *  B is stored [K, N] (ldb >= N) or, transposed, [N, K] (ldb >= K), in f32 or (`half`) f16 elements. */
function packB(b: usize, ldb: i32, transB: bool, half: bool, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  const sh: usize = half ? 1 : 2;
  const stride = <usize>ldb << sh;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const panel = dst + ((<usize>jr * kc) << 2);
    let p = 0;
    if (nr == NR) {
      if (!transB) {
        // Rows of B are contiguous: NR / 4 vectors per panel row.
        let src = b + ((<usize>p0 * ldb + j0 + jr) << sh);
        for (; p < kc; p++) {
          const row = panel + ((<usize>p * NR) << 2);
          for (let v = 0; v < NR; v += 4) v128.store(row + (<usize>v << 2), ld4(src + (<usize>v << sh), half));
          src += stride;
        }
      } else {
        // Stored rows are panel columns: transpose 4 x 4 squares (4 columns j, 4 values p) with shuffles.
        for (; p + 4 <= kc; p += 4) {
          const row = panel + ((<usize>p * NR) << 2);
          for (let j = 0; j < NR; j += 4) {
            const src = b + ((<usize>(j0 + jr + j) * ldb + p0 + p) << sh);
            const r0 = ld4(src, half), r1 = ld4(src + stride, half), r2 = ld4(src + 2 * stride, half), r3 = ld4(src + 3 * stride, half);
            const u0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), u1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
            const u2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), u3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
            const at = row + (<usize>j << 2);
            v128.store(at, i32x4.shuffle(u0, u2, 0, 1, 4, 5));
            v128.store(at, i32x4.shuffle(u0, u2, 2, 3, 6, 7), NR * 4);
            v128.store(at, i32x4.shuffle(u1, u3, 0, 1, 4, 5), NR * 8);
            v128.store(at, i32x4.shuffle(u1, u3, 2, 3, 6, 7), NR * 12);
          }
        }
      }
    }
    // Edge panels and the last K rows: element by element, zero past nc.
    for (; p < kc; p++) {
      const row = panel + ((<usize>p * NR) << 2);
      for (let j = 0; j < NR; j++) {
        let v: f32 = 0;
        if (j < nr) {
          v = ld(b + ((transB ? <usize>(j0 + jr + j) * ldb + p0 + p : <usize>(p0 + p) * ldb + j0 + jr + j) << sh), half);
        }
        store<f32>(row + (<usize>j << 2), v);
      }
    }
  }
}

/** C[0:2, 0:16] (= | +=) A panel [kc, MR] x B panel [kc, NR]; `ldc` in bytes. */
export function micro(kc: i32, a: usize, b: usize, c: usize, ldc: usize, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    const x0 = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(x0, b0));
    c01 = f32x4.add(c01, f32x4.mul(x0, b1));
    c02 = f32x4.add(c02, f32x4.mul(x0, b2));
    c03 = f32x4.add(c03, f32x4.mul(x0, b3));
    const x1 = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(x1, b0));
    c11 = f32x4.add(c11, f32x4.mul(x1, b1));
    c12 = f32x4.add(c12, f32x4.mul(x1, b2));
    c13 = f32x4.add(c13, f32x4.mul(x1, b3));
    a += MR * 4;
    b += NR * 4;
  }
  const d = c + ldc;
  if (add) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c02 = f32x4.add(c02, v128.load(c, 32)); c03 = f32x4.add(c03, v128.load(c, 48));
    c10 = f32x4.add(c10, v128.load(d)); c11 = f32x4.add(c11, v128.load(d, 16));
    c12 = f32x4.add(c12, v128.load(d, 32)); c13 = f32x4.add(c13, v128.load(d, 48));
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(d, c10); v128.store(d, c11, 16); v128.store(d, c12, 32); v128.store(d, c13, 48);
}

/** C[0:mr, 0:nr] (= | +=) the valid part of a full edge tile [MR, NR]; `ldc` in elements. */
function storeEdge(tile: usize, c: usize, ldc: i32, mr: i32, nr: i32, add: bool): void {
  for (let r = 0; r < mr; r++) {
    const src = tile + ((<usize>r * NR) << 2);
    const dst = c + ((<usize>r * ldc) << 2);
    for (let j = 0; j < nr; j++) {
      const v = load<f32>(src + (<usize>j << 2));
      const at = dst + (<usize>j << 2);
      store<f32>(at, add ? load<f32>(at) + v : v);
    }
  }
}

/** C[M, N] (ldc) = alpha op(A) op(B) (+ C when `accumulate`); see packA / packB for the stored layouts. A and B
 *  may hold f16 elements (halfA, halfB; lda, ldb still count elements); C is f32. */
export function sgemm(
  transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, accumulate: bool, c: usize, ldc: i32, pack: usize,
  halfA: bool = false, halfB: bool = false,
): void {
  if (k == 0) {
    // An empty sum: C = 0, or C unchanged when accumulating.
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + ((<usize>i * ldc) << 2), 0, <usize>n << 2);
    return;
  }
  const packedB = pack;
  const packedA = pack + (<usize>B_FLOATS << 2);
  const tile = packedA + (<usize>A_FLOATS << 2);
  const ldcBytes = <usize>ldc << 2;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      // Later K-blocks add to what the earlier ones wrote.
      const add = accumulate || pc > 0;
      packB(b, ldb, transB, halfB, pc, kc, jc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a, lda, transA, halfA, ic, mc, pc, kc, alpha, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = packedB + ((<usize>jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = packedA + ((<usize>ir * kc) << 2);
            const cp = c + ((<usize>(ic + ir) * ldc + jc + jr) << 2);
            if (mr == MR && nr == NR) {
              micro(kc, ap, bp, cp, ldcBytes, add);
            } else {
              micro(kc, ap, bp, tile, NR * 4, false);
              storeEdge(tile, cp, ldc, mr, nr, add);
            }
          }
        }
      }
    }
  }
}

/** C[M, N] (ldc) = alpha op(A) op(B) (+ C when `accumulate`), slice `part` of `parts`: the columns of C cut at
 *  multiples of NR when C is at least as wide as tall, else its rows at multiples of MR. Each slice packs its
 *  own panels into `pack` (PACK_BYTES), so slices share nothing but the read-only A and B. */
export function sgemmPart(
  transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, accumulate: bool, c: usize, ldc: i32, pack: usize, part: i32, parts: i32,
  halfA: bool = false, halfB: bool = false,
): void {
  if (n >= m) {
    const j0 = partStart(n, part, parts, NR), j1 = partStart(n, part + 1, parts, NR);
    if (j1 == j0) return;
    // Column j0 of op(B): a column offset of stored B, or a row offset when B is stored transposed.
    const bj = b + ((transB ? <usize>j0 * ldb : <usize>j0) << (halfB ? 1 : 2));
    sgemm(transA, transB, m, j1 - j0, k, alpha, a, lda, bj, ldb, accumulate, c + (<usize>j0 << 2), ldc, pack, halfA, halfB);
  } else {
    const i0 = partStart(m, part, parts, MR), i1 = partStart(m, part + 1, parts, MR);
    if (i1 == i0) return;
    const ai = a + ((transA ? <usize>i0 : <usize>i0 * lda) << (halfA ? 1 : 2));
    sgemm(transA, transB, i1 - i0, n, k, alpha, ai, lda, b, ldb, accumulate, c + ((<usize>i0 * ldc) << 2), ldc, pack, halfA, halfB);
  }
}

/** Batched matmul over contiguous [Bt, ...] tensors (runtime/backend.ts `matmul`), chunk `chunk` of `chunks`
 *  (parts.ts): whole batch entries per chunk when there are enough of them, else every entry split by
 *  sgemmPart. `pack` holds one scratch block of PACK_BYTES per thread. A and B may be f16 (halfA, halfB). */
export function matmul(
  a: usize, b: usize, c: usize, batch: i32, m: i32, n: i32, k: i32, transA: bool, transB: bool,
  halfA: bool, halfB: bool, alpha: f32, accumulate: bool, pack: usize, chunk: i32, chunks: i32, thread: i32,
): void {
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const scratch = pack + <usize>thread * PACK_BYTES;
  const whole = batch >= chunks;
  const t0 = whole ? partStart(batch, chunk, chunks, 1) : 0;
  const t1 = whole ? partStart(batch, chunk + 1, chunks, 1) : batch;
  for (let t = t0; t < t1; t++) {
    const at = a + ((<usize>t * m * k) << (halfA ? 1 : 2)), bt = b + ((<usize>t * k * n) << (halfB ? 1 : 2));
    const ct = c + ((<usize>t * m * n) << 2);
    if (whole) sgemm(transA, transB, m, n, k, alpha, at, lda, bt, ldb, accumulate, ct, n, scratch, halfA, halfB);
    else sgemmPart(transA, transB, m, n, k, alpha, at, lda, bt, ldb, accumulate, ct, n, scratch, chunk, chunks, halfA, halfB);
  }
}
