// Training data: rows of JSONL (`text`; `prompt` + `completion`; chat `messages`; pre-tokenized
// `input_ids` with optional `labels`) or plain text, turned into examples (ids + labels, -100 = not scored),
// split into train and held-out sets, and cut into fixed-shape batches [B, T], packed or padded.
// Labels follow transformers: labels[t] is the token at t, and the loss scores logits[t-1] against it.
// Platform-neutral: callers pass the file's bytes (checked to be UTF-8: a bad byte is refused with its offset,
// never read as U+FFFD) or its text. With the model's vocabulary size, every id and label is checked to be an
// integer in the vocabulary here, so a bad row is named by file, line and field before any work starts.
import { IGNORE_INDEX } from '../backend.js';
import { OsteonError, decodeUtf8, shown } from '../errors.js';

export interface Example {
  ids: Int32Array;
  /** Same length as ids; IGNORE_INDEX (-100) where the token is not scored (prompts, padding). */
  labels: Int32Array;
}

/** The part of a tokenizer the data pipeline uses (runtime/tokenizer's Tokenizer fits). */
export interface DataTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): Int32Array;
  applyChatTemplate?(messages: { role: string; content: string }[], options?: { addGenerationPrompt?: boolean }): string;
}

export interface Batch {
  ids: Int32Array; // [B*T]
  labels: Int32Array; // [B*T]
  batch: number; // B
  seqLen: number; // T
  /** Positions that are scored (labels[t] != -100 for t >= 1 of each row). */
  scored: number;
}

function fail(source: string, line: number, msg: string): never {
  throw new OsteonError('data', `${source}:${line}: ${msg}`, source);
}

/** Where ids live: [0, vocabSize), or int32's non-negative range when the vocabulary is not known. */
const idLimit = (vocabSize?: number) => vocabSize ?? 2 ** 31;

/** A row's token ids ("input_ids") or labels ("labels": also -100, not scored), each an integer in range. */
function intArray(v: unknown, field: 'input_ids' | 'labels', source: string, line: number, vocabSize?: number): Int32Array {
  if (!Array.isArray(v)) fail(source, line, `"${field}" must be an array of integers, not ${shown(v)}`);
  const limit = idLimit(vocabSize);
  const where = vocabSize === undefined ? 'a token id (0 to 2^31-1)' : `a token id in 0..${limit - 1} (the model's vocab_size is ${limit})`;
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const ok = typeof x === 'number' && Number.isInteger(x) && ((x >= 0 && x < limit) || (field === 'labels' && x === IGNORE_INDEX));
    if (!ok) fail(source, line, `"${field}"[${i}]=${shown(x)} must be ${where}${field === 'labels' ? ` or ${IGNORE_INDEX} (not scored)` : ''}`);
    out[i] = x;
  }
  return out;
}

/** Tokenizer output must fit the model too (a tokenizer.json from another model would not). */
function checkTokenized(ids: Int32Array, source: string, where: string, vocabSize?: number): Int32Array {
  const limit = idLimit(vocabSize);
  const bad = ids.findIndex((id) => id < 0 || id >= limit);
  if (bad >= 0) throw new OsteonError('data', `${source}:${where}: the tokenizer gave id ${ids[bad]}, outside the model's vocab_size ${limit}: tokenizer.json belongs to another model`, source);
  return ids;
}

const masked = (n: number) => new Int32Array(n).fill(IGNORE_INDEX);
const concat = (...parts: Int32Array[]) => {
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

/** One example from one JSON row; `eos` (when known) ends prompt/completion examples; `vocabSize` (when
 *  known) bounds every id and label. */
export function exampleFromRow(row: unknown, tok: DataTokenizer | null, source: string, line: number, eos?: number, vocabSize?: number): Example {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) fail(source, line, `each line must be a JSON object, not ${shown(row)}`);
  const r = row as Record<string, unknown>;
  if ('input_ids' in r) {
    const ids = intArray(r.input_ids, 'input_ids', source, line, vocabSize);
    const labels = 'labels' in r ? intArray(r.labels, 'labels', source, line, vocabSize) : ids.slice();
    if (labels.length !== ids.length) fail(source, line, `"labels" has ${labels.length} entries for ${ids.length} input_ids`);
    return { ids, labels };
  }
  const example = textExample(r, tok, source, line, eos);
  checkTokenized(example.ids, source, String(line), vocabSize);
  return example;
}

function textExample(r: Record<string, unknown>, tok: DataTokenizer | null, source: string, line: number, eos?: number): Example {
  if (!tok) fail(source, line, 'text rows need a tokenizer (the model folder has no tokenizer.json); use pre-tokenized "input_ids" rows');
  const end = eos === undefined ? new Int32Array(0) : Int32Array.of(eos);
  if (typeof r.text === 'string') {
    const ids = tok.encode(r.text, { addSpecialTokens: true });
    return { ids, labels: ids.slice() };
  }
  if (typeof r.prompt === 'string' && typeof r.completion === 'string') {
    const prompt = tok.encode(r.prompt, { addSpecialTokens: true });
    const completion = concat(tok.encode(r.completion, { addSpecialTokens: false }), end);
    return { ids: concat(prompt, completion), labels: concat(masked(prompt.length), completion) };
  }
  if (Array.isArray(r.messages)) {
    const messages = r.messages as { role: string; content: string }[];
    if (!messages.every((m) => m && typeof m.role === 'string' && typeof m.content === 'string')) {
      fail(source, line, '"messages" must be [{"role": ..., "content": ...}, ...]');
    }
    if (!tok.applyChatTemplate) fail(source, line, 'chat rows need a tokenizer with a chat template (tokenizer_config.json)');
    // Score only the final message (the reply to learn); everything before it is the prompt.
    const full = tok.encode(tok.applyChatTemplate(messages), { addSpecialTokens: false });
    const prompt = tok.encode(tok.applyChatTemplate(messages.slice(0, -1), { addGenerationPrompt: true }), { addSpecialTokens: false });
    let shared = 0;
    while (shared < prompt.length && prompt[shared] === full[shared]) shared++;
    const labels = full.slice();
    labels.fill(IGNORE_INDEX, 0, shared);
    return { ids: full, labels };
  }
  fail(source, line, 'a row needs "text", "prompt" and "completion", "messages", or "input_ids"');
}

/** The file's text: bytes must be UTF-8 (a BOM is dropped, as JSON readers do). */
export function dataText(data: string | Uint8Array, source: string): string {
  return typeof data === 'string' ? data : decodeUtf8(data, 'data', source);
}

/** Examples from a JSONL file (bytes or text; blank lines skipped; errors name the line). */
export function examplesFromJsonl(data: string | Uint8Array, tok: DataTokenizer | null, source: string, eos?: number, vocabSize?: number): Example[] {
  const out: Example[] = [];
  dataText(data, source).split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      fail(source, i + 1, `not valid JSON (${(e as Error).message})`);
    }
    out.push(exampleFromRow(row, tok, source, i + 1, eos, vocabSize));
  });
  if (!out.length) throw new OsteonError('data', `${source} holds no examples; add JSON rows, one per line`, source);
  return out;
}

/** A plain text file (bytes or text): paragraphs (separated by blank lines) become examples, every token scored. */
export function examplesFromText(data: string | Uint8Array, tok: DataTokenizer, source: string, vocabSize?: number): Example[] {
  const out = dataText(data, source).split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean).map((p, k) => {
    const ids = checkTokenized(tok.encode(p, { addSpecialTokens: true }), source, ` paragraph ${k + 1}`, vocabSize);
    return { ids, labels: ids.slice() };
  });
  if (!out.length) throw new OsteonError('data', `${source} holds no text; add paragraphs separated by blank lines`, source);
  return out;
}

/** Deterministic Fisher-Yates permutation of 0..n-1 for `seed`. */
export function permutation(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Hold out a fraction (< 1) or a count (>= 1) of the examples, chosen by `seed`. */
export function splitHeldOut(examples: Example[], heldOut: number, seed: number): { train: Example[]; held: Example[] } {
  const count = heldOut < 1 ? Math.round(examples.length * heldOut) : Math.floor(heldOut);
  if (count >= examples.length) throw new OsteonError('data', `held-out ${heldOut} leaves no training examples out of ${examples.length}`);
  const order = permutation(examples.length, seed ^ 0x5eed);
  const held = new Set(order.slice(0, count));
  return { train: examples.filter((_, i) => !held.has(i)), held: examples.filter((_, i) => held.has(i)) };
}

/** Rows of exactly T tokens: packed (examples concatenated, then cut) or one example per row (cut into
 *  windows of T when longer, right-padded with `padId` and label -100 when shorter). */
export function toRows(examples: Example[], seqLen: number, pack: boolean, padId = 0): Example[] {
  const rows: Example[] = [];
  const pushWindows = (e: Example) => {
    for (let at = 0; at < e.ids.length; at += seqLen) {
      const ids = new Int32Array(seqLen).fill(padId), labels = masked(seqLen);
      const part = Math.min(seqLen, e.ids.length - at);
      ids.set(e.ids.subarray(at, at + part));
      labels.set(e.labels.subarray(at, at + part));
      rows.push({ ids, labels });
    }
  };
  if (pack) pushWindows({ ids: concat(...examples.map((e) => e.ids)), labels: concat(...examples.map((e) => e.labels)) });
  else examples.forEach(pushWindows);
  // A row whose scored tokens all sit at position 0 contributes nothing to the loss: drop it.
  return rows.filter((r) => r.labels.subarray(1).some((l) => l !== IGNORE_INDEX));
}

/** Group rows into batches of B (the last may be smaller), in the given order. */
export function toBatches(rows: Example[], batchSize: number, order: number[] = rows.map((_, i) => i)): Batch[] {
  const out: Batch[] = [];
  for (let at = 0; at < order.length; at += batchSize) {
    const chosen = order.slice(at, at + batchSize).map((i) => rows[i]);
    const seqLen = chosen[0].ids.length;
    const ids = concat(...chosen.map((r) => r.ids));
    const labels = concat(...chosen.map((r) => r.labels));
    const scored = chosen.reduce((s, r) => s + r.labels.subarray(1).filter((l) => l !== IGNORE_INDEX).length, 0);
    out.push({ ids, labels, batch: chosen.length, seqLen, scored });
  }
  return out;
}
