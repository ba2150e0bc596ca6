// Rotary embedding, rotate-half convention (runtime/backend.ts rope, ropeBackward; reference
// runtime/reference/ops.ts). The angles are not computed here: the checked edge passes the table of cos/sin
// per token (runtime/checked.ts ropeTable); `sign` = -1 turns it into the backward rotation.
// No bounds checks (TypeScript edge). Letters: N tokens, Hx heads in a row, E head dimension, E/2 = half.

/** Each head of each row: (lo, hi) <- (lo cos - hi s, hi cos + lo s), s = sign sin.  x [N, Hx * E] in place;
 *  table [N, 2, E/2]: cos then sin of each token's angles. */
export function rope(x: usize, table: usize, n: i32, heads: i32, half: i32, sign: f32): void {
  const signs = f32x4.splat(sign);
  for (let t = 0; t < n; t++) {
    const cos = table + ((<usize>t * 2 * half) << 2), sin = cos + (<usize>half << 2);
    for (let h = 0; h < heads; h++) {
      const lo = x + ((<usize>(t * heads + h) * 2 * half) << 2), hi = lo + (<usize>half << 2);
      let i = 0;
      for (; i + 4 <= half; i += 4) {
        const at = <usize>i << 2;
        const a = v128.load(lo + at), b = v128.load(hi + at), c = v128.load(cos + at), s = f32x4.mul(signs, v128.load(sin + at));
        v128.store(lo + at, f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, s)));
        v128.store(hi + at, f32x4.add(f32x4.mul(b, c), f32x4.mul(a, s)));
      }
      for (; i < half; i++) {
        const at = <usize>i << 2;
        const a = load<f32>(lo + at), b = load<f32>(hi + at), c = load<f32>(cos + at), s = sign * load<f32>(sin + at);
        store<f32>(lo + at, a * c - b * s);
        store<f32>(hi + at, b * c + a * s);
      }
    }
  }
}
