// Training a byte-level BPE tokenizer: the same vocabulary and merges as Hugging Face tokenizers' BpeTrainer
// with the ByteLevel pre-tokenizer (no prefix space, GPT-2's regex), as a complete tokenizer.json that
// Tokenizer loads. TypeScript checks the options, feeds each text to WebAssembly (which pre-tokenizes it and
// counts its words), lays out the initial vocabulary (special tokens, then the alphabet in character order),
// lets WebAssembly merge (asm/tokenizer/train.ts), and writes the file.
// It deliberately has no continuing-subword prefix, end-of-word suffix or maximum token length: byte-level
// tokenizers use none of them.
import { instantiate } from './model.js';
import { BYTE_CHAR, tokenBytes } from './byte-level.js';
import { TokenizerError } from './json.js';
import { Scanner } from './patterns.js';
import { ISOLATED } from '../../asm/tokenizer/kinds.js';

export interface TrainOptions {
  /** Tokens in the vocabulary at most, special tokens and alphabet included (the trainer's vocab_size). */
  vocabSize: number;
  /** Tokens given the first ids, in this order, and listed as added tokens (never split by encode). */
  specialTokens?: string[];
  /** A pair seen fewer times than this is never merged (min_frequency; default 0). */
  minFrequency?: number;
  /** The initial alphabet: 'bytes' (default) all 256 byte characters, as initial_alphabet =
   *  ByteLevel.alphabet(); 'seen' only those in the texts, as the trainer's default. */
  alphabet?: 'bytes' | 'seen';
  /** Keep at most this many alphabet characters, the most frequent (limit_alphabet; default no limit). */
  limitAlphabet?: number;
  /** Called now and then: words counted so far, then merges made so far. */
  onProgress?: (progress: TrainProgress) => void;
}

export type TrainProgress =
  | { stage: 'words'; texts: number; bytes: number; words: number }
  | { stage: 'merges'; merges: number; vocab: number; vocabSize: number };

type Exports = ReturnType<typeof instantiate>;

const utf8 = new TextEncoder();
const PROGRESS_TEXTS = 4096; // texts between word-count reports
const MERGES_PER_CALL = 500; // merges between progress reports

const bad = (message: string): never => { throw new TokenizerError(`train: ${message}`); };

function wholeNumber(v: unknown, name: string, least: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < least) bad(`${name} must be a whole number >= ${least} (got ${JSON.stringify(v)})`);
  return v as number;
}

/** The options, checked, with defaults filled in and repeated special tokens dropped. */
interface Settings { vocabSize: number; minFrequency: number; limitAlphabet: number; alphabet: 'bytes' | 'seen'; specialTokens: string[] }

function checkOptions(o: TrainOptions): Settings {
  if (typeof o !== 'object' || o === null) bad('options must be an object such as { vocabSize: 8000 }');
  const vocabSize = wholeNumber(o.vocabSize, 'vocabSize', 1);
  const minFrequency = o.minFrequency === undefined ? 0 : wholeNumber(o.minFrequency, 'minFrequency', 0);
  const limitAlphabet = o.limitAlphabet === undefined ? Infinity : wholeNumber(o.limitAlphabet, 'limitAlphabet', 1);
  const alphabet = o.alphabet ?? 'bytes';
  if (alphabet !== 'bytes' && alphabet !== 'seen') bad(`alphabet must be "bytes" or "seen" (got ${JSON.stringify(alphabet)})`);
  const specialTokens = o.specialTokens ?? [];
  if (!Array.isArray(specialTokens) || specialTokens.some((t) => typeof t !== 'string' || t.length === 0)) {
    bad(`specialTokens must be an array of non-empty strings (got ${JSON.stringify(specialTokens)})`);
  }
  return { vocabSize, minFrequency, limitAlphabet, alphabet, specialTokens: [...new Set(specialTokens)] };
}

/**
 * The alphabet's bytes in id order (by their byte-level character), the rarest left out beyond `limit`
 * (ties: the later character goes first). `counts[b]` = occurrences of byte b; Infinity for an initial byte.
 */
function chooseAlphabet(counts: Float64Array, limit: number): number[] {
  const bytes = [...counts.keys()].filter((b) => counts[b] > 0);
  if (bytes.length > limit) {
    bytes.sort((a, b) => counts[b] - counts[a] || BYTE_CHAR[a] - BYTE_CHAR[b]);
    bytes.length = limit;
  }
  return bytes.sort((a, b) => BYTE_CHAR[a] - BYTE_CHAR[b]);
}

/** The initial vocabulary: special tokens, then each alphabet character not among them. */
function initialTokens(specials: string[], alphabet: number[]): { tokens: string[]; alphabetIds: Int32Array } {
  const tokens = specials.slice();
  const ids = new Map(tokens.map((t, id) => [t, id]));
  const alphabetIds = new Int32Array(256).fill(-1);
  for (const b of alphabet) {
    const char = String.fromCharCode(BYTE_CHAR[b]);
    if (!ids.has(char)) { ids.set(char, tokens.length); tokens.push(char); }
    alphabetIds[b] = ids.get(char)!;
  }
  return { tokens, alphabetIds };
}

/** Hand the initial vocabulary to WebAssembly: each token's bytes (none for a special token the byte
 *  alphabet cannot spell, which no merge can then reach), and each alphabet byte's id. */
function loadInitial(x: Exports, tokens: string[], alphabetIds: Int32Array): void {
  x.resetTokens();
  for (const token of tokens) {
    const bytes = new Uint8Array(token.length);
    const n = tokenBytes(token, bytes, 0);
    const ptr = x.inputBuffer(Math.max(token.length, 1));
    if (n >= 0) new Uint8Array(x.memory.buffer, ptr, n).set(bytes);
    x.addToken(ptr, Math.max(n, 0), n >= 0);
  }
  new Int32Array(x.memory.buffer, x.alphabetIds.value, 256).set(alphabetIds);
}

/** The byte-level spelling of token `id`'s bytes. */
function tokenText(x: Exports, id: number): string {
  const bytes = new Uint8Array(x.memory.buffer, x.tokenPointer(id), x.tokenLength(id));
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(BYTE_CHAR[bytes[i]]);
  return s;
}

/**
 * Train a byte-level BPE tokenizer on `texts` (each pre-tokenized on its own, as one line of a file is by
 * the reference's train(files)) and return its tokenizer.json text. The same texts and options always give
 * the same bytes.
 */
export function trainTokenizer(texts: Iterable<string>, options: TrainOptions): string {
  const o = checkOptions(options);
  const tooSmall = (initial: number, what: string) => {
    if (o.vocabSize < initial) {
      bad(`vocabSize ${o.vocabSize} is smaller than the initial vocabulary (${o.specialTokens.length} special tokens and ${what}); use vocabSize >= ${initial}`);
    }
  };
  const allBytes = chooseAlphabet(new Float64Array(256).fill(Infinity), o.limitAlphabet);
  if (o.alphabet === 'bytes') tooSmall(initialTokens(o.specialTokens, allBytes).tokens.length, `${allBytes.length} byte characters`);
  if (typeof texts === 'string') bad('texts must be an iterable of strings, not one string (each character would be a text); pass [text] or linesOf(text)');
  if (texts === null || typeof (texts as Iterable<string>)[Symbol.iterator] !== 'function') bad('texts must be an iterable of strings (an array, a generator, ...)');

  const x = instantiate();
  x.clearStages();
  x.addStage(Scanner.Gpt2, ISOLATED, false);
  x.resetWords();
  let count = 0;
  let bytes = 0;
  for (const text of texts) {
    if (typeof text !== 'string') bad(`texts[${count}] is ${text === null ? 'null' : typeof text}, not a string`);
    const capacity = text.length * 3;
    const ptr = x.inputBuffer(capacity);
    const { written } = utf8.encodeInto(text, new Uint8Array(x.memory.buffer, ptr, capacity)); // lone surrogates: U+FFFD
    x.countSegment(written);
    bytes += written;
    if (++count % PROGRESS_TEXTS === 0) options.onProgress?.({ stage: 'words', texts: count, bytes, words: x.distinctWords() });
  }
  options.onProgress?.({ stage: 'words', texts: count, bytes, words: x.distinctWords() });

  let alphabet = allBytes;
  if (o.alphabet === 'seen') {
    const ptr = x.inputBuffer(256 * 8);
    x.byteFrequencies(ptr);
    alphabet = chooseAlphabet(new Float64Array(x.memory.buffer.slice(ptr, ptr + 256 * 8)), o.limitAlphabet);
  }
  const { tokens, alphabetIds } = initialTokens(o.specialTokens, alphabet);
  tooSmall(tokens.length, `the ${alphabet.length} byte characters of the texts`);
  loadInitial(x, tokens, alphabetIds);

  x.startMerges(Math.min(o.vocabSize, 0x7fffffff), o.minFrequency); // an id is an i32 there
  while (x.mergeSome(MERGES_PER_CALL) === MERGES_PER_CALL) {
    options.onProgress?.({ stage: 'merges', merges: x.mergeCount(), vocab: x.tokenCount(), vocabSize: o.vocabSize });
  }
  options.onProgress?.({ stage: 'merges', merges: x.mergeCount(), vocab: x.tokenCount(), vocabSize: o.vocabSize });
  for (let id = tokens.length; id < x.tokenCount(); id++) tokens.push(tokenText(x, id));
  const triples = new Int32Array(x.memory.buffer, x.mergesPointer(), x.mergeCount() * 3);
  return tokenizerJson(tokens, o.specialTokens.length, lastOfEach(triples, tokens));
}

/** The lines of a file's text, each with its line ending: the texts the reference's train(files) feeds. */
export function* linesOf(text: string): Generator<string> {
  for (let at = 0; at < text.length;) {
    const end = text.indexOf('\n', at);
    const next = end < 0 ? text.length : end + 1;
    yield text.slice(at, next);
    at = next;
  }
}

/**
 * The merges as token pairs, each pair once: where a pair was merged again (in words it reached later), the
 * reference's model keeps the later rank, and so does this.
 */
function lastOfEach(triples: Int32Array, tokens: string[]): [string, string][] {
  const last = new Map<string, number>();
  for (let i = 0; i < triples.length; i += 3) last.set(`${triples[i]},${triples[i + 1]}`, i);
  const out: [string, string][] = [];
  for (let i = 0; i < triples.length; i += 3) {
    if (last.get(`${triples[i]},${triples[i + 1]}`) === i) out.push([tokens[triples[i]], tokens[triples[i + 1]]]);
  }
  return out;
}

/** tokenizer.json text: one vocabulary entry and one merge per line, so files diff well. */
function tokenizerJson(tokens: string[], specials: number, merges: [string, string][]): string {
  const q = JSON.stringify;
  const byteLevel = (prefixSpace: boolean, trim: boolean) =>
    `{ "type": "ByteLevel", "add_prefix_space": ${prefixSpace}, "trim_offsets": ${trim}, "use_regex": true }`;
  const added = tokens.slice(0, specials).map((t, id) =>
    `    { "id": ${id}, "content": ${q(t)}, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true }`);
  return [
    '{',
    '  "version": "1.0",',
    '  "truncation": null,',
    '  "padding": null,',
    `  "added_tokens": [${added.length > 0 ? `\n${added.join(',\n')}\n  ` : ''}],`,
    '  "normalizer": null,',
    `  "pre_tokenizer": ${byteLevel(false, true)},`,
    `  "post_processor": ${byteLevel(true, false)},`,
    `  "decoder": ${byteLevel(true, true)},`,
    '  "model": {',
    '    "type": "BPE",',
    '    "dropout": null,',
    '    "unk_token": null,',
    '    "continuing_subword_prefix": null,',
    '    "end_of_word_suffix": null,',
    '    "fuse_unk": false,',
    '    "byte_fallback": false,',
    '    "ignore_merges": false,',
    '    "vocab": {',
    tokens.map((t, id) => `      ${q(t)}: ${id}`).join(',\n'),
    '    },',
    `    "merges": [${merges.length > 0 ? `\n${merges.map(([a, b]) => `      [${q(a)}, ${q(b)}]`).join(',\n')}\n    ` : ''}]`,
    '  }',
    '}',
    '',
  ].join('\n');
}
