// Plain, readable reference implementations of every backend op, on Float32Array.
// These are the oracle the SIMD (asm/) and WGSL (gpu/) kernels are tested against: clarity over speed,
// float64 accumulation so that the reference is the more accurate side of every comparison.
// Letters: see runtime/backend.ts.

/** C[Bt,M,N] (=|+=) alpha op(A) op(B). A is [Bt,M,K] (or [Bt,K,M] when transA), B [Bt,K,N] (or [Bt,N,K]). */
export function matmul(
  a: Float32Array, b: Float32Array, c: Float32Array,
  batch: number, m: number, n: number, k: number,
  transA: boolean, transB: boolean, alpha: number, accumulate: boolean,
): void {
  for (let t = 0; t < batch; t++) {
    const ao = t * m * k, bo = t * k * n, co = t * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[ao + p * m + i] : a[ao + i * k + p];
          const bv = transB ? b[bo + j * k + p] : b[bo + p * n + j];
          sum += av * bv;
        }
        c[co + i * n + j] = alpha * sum + (accumulate ? c[co + i * n + j] : 0);
      }
    }
  }
}

/** y[n,o] += bias[o]. */
export function addBias(y: Float32Array, bias: Float32Array): void {
  const o = bias.length;
  for (let i = 0; i < y.length; i++) y[i] += bias[i % o];
}

/** s[n,j] = sum_k x[n, kR + j] with zero padding.  x [N,I], s [N,R]. */
export function chunkSum(x: Float32Array, s: Float32Array, n: number, inF: number, r: number): void {
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < r; j++) {
      let sum = 0;
      for (let c = j; c < inF; c += r) sum += x[t * inF + c];
      s[t * r + j] = sum;
    }
  }
}

/** dx[n,c] += ds[n, c mod R]. */
export function chunkScatterAdd(ds: Float32Array, dx: Float32Array, n: number, inF: number, r: number): void {
  for (let t = 0; t < n; t++) for (let c = 0; c < inF; c++) dx[t * inF + c] += ds[t * r + (c % r)];
}

/** y[n,o] += p[n, o mod M]. */
export function tileAdd(p: Float32Array, y: Float32Array, n: number, out: number, m: number): void {
  for (let t = 0; t < n; t++) for (let o = 0; o < out; o++) y[t * out + o] += p[t * m + (o % m)];
}

/** g~[n,m] = sum_t g[n, tM + m]. */
export function foldSum(g: Float32Array, folded: Float32Array, n: number, out: number, m: number): void {
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < m; j++) {
      let sum = 0;
      for (let o = j; o < out; o += m) sum += g[t * out + o];
      folded[t * m + j] = sum;
    }
  }
}

/** w[o,c] += sign * b[c mod R, o mod M].  b [R,M], w [O,I]. */
export function blockDelta(b: Float32Array, w: Float32Array, out: number, inF: number, r: number, m: number, sign: number): void {
  for (let o = 0; o < out; o++) for (let c = 0; c < inF; c++) w[o * inF + c] += sign * b[(c % r) * m + (o % m)];
}

/** dst_ik = w_ik (I + m_i) + c_i per R x R block.  w, dst [O,I]; m, c [O/R,R,R]. */
export function blockAffine(
  w: Float32Array, m: Float32Array, c: Float32Array, dst: Float32Array, out: number, inF: number, r: number,
): void {
  for (let o = 0; o < out; o++) {
    const i = Math.floor(o / r), a = o % r;
    for (let col = 0; col < inF; col++) {
      const kBase = col - (col % r), b = col % r;
      let sum = w[o * inF + col] + c[(i * r + a) * r + b];
      for (let j = 0; j < r; j++) sum += w[o * inF + kBase + j] * m[(i * r + j) * r + b];
      dst[o * inF + col] = sum;
    }
  }
}

/** db_i = sum_k (w_ik + I)^T (g_i^T x_k).  w [O,I], g [N,O], x [N,I], db [O/R,R,R]. */
export function batGrad(
  w: Float32Array, g: Float32Array, x: Float32Array, db: Float32Array, n: number, out: number, inF: number, r: number,
): void {
  const tile = new Float64Array(r * r);
  db.fill(0);
  for (let i = 0; i < out / r; i++) {
    for (let k = 0; k < inF / r; k++) {
      // tile = g_i^T x_k  [R,R]
      tile.fill(0);
      for (let t = 0; t < n; t++) {
        for (let a = 0; a < r; a++) {
          const gv = g[t * out + i * r + a];
          for (let b = 0; b < r; b++) tile[a * r + b] += gv * x[t * inF + k * r + b];
        }
      }
      // db_i += (w_ik + I)^T tile
      for (let a = 0; a < r; a++) {
        for (let b = 0; b < r; b++) {
          let sum = 0;
          for (let j = 0; j < r; j++) {
            const wv = w[(i * r + j) * inF + k * r + a] + (j === a ? 1 : 0);
            sum += wv * tile[j * r + b];
          }
          db[(i * r + a) * r + b] += sum;
        }
      }
    }
  }
}
