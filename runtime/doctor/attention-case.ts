// The attention case of `osteon doctor`: causal grouped-query attention, its backward and the attention of
// generation over a key/value cache, on seeded inputs, against the reference backend run beside it. The
// PEFT cases only exercise the adapter layers' matmuls; this one checks the attention kernel a backend
// picked (on WebGPU, the 'rows' or 'tiled' design) on the shapes that break tiled kernels: sequences that
// fill no tile, three query heads per key/value head, a sliding window, two sequences per batch.
import type { AttentionOptions, Backend, Tensor } from '../backend.js';
import { uniform } from '../adapters/random.js';
import { ReferenceBackend } from '../reference/backend.js';
import { F32_REL } from '../tolerances.js';
import { type CaseResult, maxRelError } from './fixture-case.js';

const BATCH = 2, SEQ = 37, HEADS = 6, KV_HEADS = 2, HEAD_DIM = 64, PAST = 29, NEW = 3;

/** The named outputs of every attention op for one set of options, read back. */
async function attentionOutputs(b: Backend, options: AttentionOptions): Promise<Record<string, Float32Array>> {
  const owned: Tensor[] = [];
  const t = (shape: number[], seed?: number) => {
    const x = b.tensor(shape, seed === undefined ? undefined : uniform(shape.reduce((p, q) => p * q, 1), -1, 1, seed));
    owned.push(x);
    return x;
  };
  try {
    const q = t([BATCH, SEQ, HEADS * HEAD_DIM], 1), k = t([BATCH, SEQ, KV_HEADS * HEAD_DIM], 2), v = t([BATCH, SEQ, KV_HEADS * HEAD_DIM], 3);
    const out = t([BATCH, SEQ, HEADS * HEAD_DIM]), lse = t([BATCH * SEQ, HEADS]);
    b.attention(q, k, v, out, lse, options);
    const dout = t([BATCH, SEQ, HEADS * HEAD_DIM], 4);
    const dq = t([BATCH, SEQ, HEADS * HEAD_DIM]), dk = t([BATCH, SEQ, KV_HEADS * HEAD_DIM]), dv = t([BATCH, SEQ, KV_HEADS * HEAD_DIM]);
    b.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, options);
    // Generation: NEW tokens after PAST cached ones, in caches with room to spare.
    const cache = (seed: number) => t([BATCH, PAST + NEW + 5, KV_HEADS * HEAD_DIM], seed);
    const kCache = cache(5), vCache = cache(6), decoded = t([BATCH, NEW, HEADS * HEAD_DIM]);
    b.attentionDecode(t([BATCH, NEW, HEADS * HEAD_DIM], 7), t([BATCH, NEW, KV_HEADS * HEAD_DIM], 8), t([BATCH, NEW, KV_HEADS * HEAD_DIM], 9),
      kCache, vCache, PAST, decoded, options);
    const named = { out, lse, dq, dk, dv, decoded };
    const values: Record<string, Float32Array> = {};
    for (const [name, x] of Object.entries(named)) values[name] = await b.read(x);
    return values;
  } finally {
    for (const x of owned) b.dispose(x);
  }
}

/** One result per output and window (plain causal, then a window of 16), named "attention" / "attention window 16". */
export async function runAttentionCase(backend: Backend): Promise<CaseResult[]> {
  const reference = new ReferenceBackend();
  const results: CaseResult[] = [];
  for (const window of [null, 16]) {
    const options = { heads: HEADS, kvHeads: KV_HEADS, window };
    const [want, got] = [await attentionOutputs(reference, options), await attentionOutputs(backend, options)];
    for (const [tensor, expected] of Object.entries(want)) {
      const err = maxRelError(got[tensor], expected);
      results.push({ case: window ? `attention window ${window}` : 'attention', backend: backend.name, tensor, max_rel_err: err, pass: err <= F32_REL });
    }
  }
  return results;
}
