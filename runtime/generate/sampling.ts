// Choosing the next token from a row of logits: greedy (temperature 0), or sampling at a temperature
// after top-k and top-p (nucleus) filtering, from a seeded generator so that a seed repeats a generation.

export interface SamplingOptions {
  /** 0 = greedy (argmax). Default 0. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 = all). */
  topP?: number;
  seed?: number;
}

/** xorshift32 in [0, 1). */
export function rng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** The next token id for `logits` [V]. */
export function sample(logits: Float32Array, o: SamplingOptions, random: () => number): number {
  const temperature = o.temperature ?? 0;
  if (temperature < 0 || !Number.isFinite(temperature)) throw new Error(`[generate] temperature=${temperature} must be >= 0`);
  if (temperature === 0) return argmax(logits);
  const topK = o.topK ?? 0, topP = o.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw new Error(`[generate] top_p=${topP} must be in (0, 1]`);
  // Candidates in decreasing logit order, cut by top-k.
  let order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  if (topK > 0) order = order.slice(0, topK);
  const max = logits[order[0]];
  const weights = order.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  // Nucleus: the shortest prefix whose probability mass reaches top_p.
  let keep = order.length, mass = 0;
  for (let j = 0; j < order.length; j++) {
    mass += weights[j] / total;
    if (mass >= topP) { keep = j + 1; break; }
  }
  const kept = weights.slice(0, keep);
  const keptTotal = kept.reduce((a, b) => a + b, 0);
  let u = random() * keptTotal;
  for (let j = 0; j < keep; j++) {
    u -= kept[j];
    if (u <= 0) return order[j];
  }
  return order[keep - 1];
}
