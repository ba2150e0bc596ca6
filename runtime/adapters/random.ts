// Seeded pseudo-random numbers (mulberry32): initialisation that repeats exactly for a given seed.

export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

/** n draws of a normal distribution N(mean, std^2) by the Box-Muller transform over `uniform`'s stream. */
export function normal(n: number, mean: number, std: number, seed: number): Float32Array {
  const u = uniform(2 * Math.ceil(n / 2), 0, 1, seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(1 - u[i])), angle = 2 * Math.PI * u[i + 1];
    out[i] = mean + radius * Math.cos(angle);
    if (i + 1 < n) out[i + 1] = mean + radius * Math.sin(angle);
  }
  return out;
}
