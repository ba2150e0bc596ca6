// RMSNorm, its input gradient and its weight gradient (runtime/backend.ts rmsNorm, rmsNormBackward,
// rmsNormWeightGrad; reference
// runtime/reference/ops.ts). One row at a time, f32x4 across the row with a scalar tail; the row's sum of
// squares and its dot product are accumulated in f32x4 lanes and rstd is formed in f64. No bounds checks
// (TypeScript edge). Letters: N rows, D row width.

/** sum_d a[d] b[d] c[d] over one row (c = 0: sum_d a[d] b[d]). */
function rowDot(a: usize, b: usize, c: usize, width: i32): f64 {
  let acc = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= width; d += 4) {
    const at = <usize>d << 2;
    let p = f32x4.mul(v128.load(a + at), v128.load(b + at));
    if (c) p = f32x4.mul(p, v128.load(c + at));
    acc = f32x4.add(acc, p);
  }
  let sum = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
    <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  for (; d < width; d++) {
    const at = <usize>d << 2;
    let p = load<f32>(a + at) * load<f32>(b + at);
    if (c) p *= load<f32>(c + at);
    sum += p;
  }
  return sum;
}

/** y = x rstd w, rstd[n] = 1 / sqrt(mean_d x[n, d]^2 + eps).  x, y [N, D]; w [D]; rstd [N]. */
export function rmsNorm(x: usize, w: usize, eps: f32, y: usize, rstd: usize, n: i32, width: i32): void {
  for (let t = 0; t < n; t++) {
    const xr = x + ((<usize>t * width) << 2), yr = y + ((<usize>t * width) << 2);
    const r = <f32>(1 / Math.sqrt(rowDot(xr, xr, 0, width) / width + eps));
    store<f32>(rstd + (<usize>t << 2), r);
    const rv = f32x4.splat(r);
    let d = 0;
    for (; d + 4 <= width; d += 4) {
      const at = <usize>d << 2;
      v128.store(yr + at, f32x4.mul(f32x4.mul(v128.load(xr + at), rv), v128.load(w + at)));
    }
    for (; d < width; d++) {
      const at = <usize>d << 2;
      store<f32>(yr + at, load<f32>(xr + at) * r * load<f32>(w + at));
    }
  }
}

/** dx += r w dy - x r^3 mean_d(w dy x).  x, dy, dx [N, D]; w [D]; rstd [N]. */
export function rmsNormBackward(x: usize, w: usize, rstd: usize, dy: usize, dx: usize, n: i32, width: i32): void {
  for (let t = 0; t < n; t++) {
    const row = (<usize>t * width) << 2;
    const xr = x + row, dyr = dy + row, dxr = dx + row;
    const r = load<f32>(rstd + (<usize>t << 2));
    const c = <f32>((<f64>r * r * r * rowDot(w, dyr, xr, width)) / width);
    const rv = f32x4.splat(r), cv = f32x4.splat(c);
    let d = 0;
    for (; d + 4 <= width; d += 4) {
      const at = <usize>d << 2;
      const u = f32x4.mul(f32x4.mul(v128.load(w + at), v128.load(dyr + at)), rv);
      v128.store(dxr + at, f32x4.add(v128.load(dxr + at), f32x4.sub(u, f32x4.mul(cv, v128.load(xr + at)))));
    }
    for (; d < width; d++) {
      const at = <usize>d << 2;
      store<f32>(dxr + at, load<f32>(dxr + at) + (r * load<f32>(w + at) * load<f32>(dyr + at) - c * load<f32>(xr + at)));
    }
  }
}

/** dw[d] = sum_n dy[n, d] x[n, d] rstd[n]: row by row into dw (zeroed first), f32x4 across the row.
 *  x, dy [N, D]; rstd [N]; dw [D]. */
export function rmsNormWeightGrad(x: usize, rstd: usize, dy: usize, dw: usize, n: i32, width: i32): void {
  memory.fill(dw, 0, <usize>width << 2);
  for (let t = 0; t < n; t++) {
    const row = (<usize>t * width) << 2;
    const xr = x + row, dyr = dy + row;
    const r = load<f32>(rstd + (<usize>t << 2));
    const rv = f32x4.splat(r);
    let d = 0;
    for (; d + 4 <= width; d += 4) {
      const at = <usize>d << 2;
      v128.store(dw + at, f32x4.add(v128.load(dw + at), f32x4.mul(f32x4.mul(v128.load(dyr + at), v128.load(xr + at)), rv)));
    }
    for (; d < width; d++) {
      const at = <usize>d << 2;
      store<f32>(dw + at, load<f32>(dw + at) + load<f32>(dyr + at) * load<f32>(xr + at) * r);
    }
  }
}
