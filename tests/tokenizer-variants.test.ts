// Components the shipped tokenizer.json files do not exercise, checked against the reference on variants
// built from them: a small byte-level BPE cut from cl100k (the first merges and the tokens they need), and
// Llama 2 with its normalizer swapped for a Metaspace pre-tokenizer or its byte fallback removed. Each variant
// goes through both implementations from the same JSON text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Tokenizer as Reference } from 'tokenizers';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { EDGE_CASES, lenmlTokenizer, realText } from './tokenizer-cases.js';

type Json = Record<string, any>;
const load = (name: string): Json => JSON.parse(readFileSync(lenmlTokenizer(name), 'utf8'));
const TEXTS = [...EDGE_CASES, ...realText(12_000), 'Hello <mask> world <MASK>x [CLS]   <special>  y', 'ab<sep>cd <sep> ef<sep>'];

/** cl100k cut to its first `n` merges: a complete byte-level BPE that loads in milliseconds. */
function smallByteLevel(n: number, pairs: boolean): Json {
  const full = load('gpt4');
  const merges: string[] = full.model.merges.slice(0, n);
  const keep = new Set<string>();
  const vocab: Record<string, number> = {};
  for (const [token, id] of Object.entries<number>(full.model.vocab)) if (id < 256 || keep.has(token)) vocab[token] = id;
  for (const m of merges) {
    const [a, b] = m.split(' ');
    for (const t of [a, b, a + b]) vocab[t] = full.model.vocab[t];
  }
  return {
    ...full,
    added_tokens: [],
    model: { ...full.model, vocab, merges: pairs ? merges.map((m) => m.split(' ')) : merges },
  };
}

async function agree(label: string, json: Json): Promise<void> {
  const text = JSON.stringify(json);
  const ours = Tokenizer.fromJSON(text);
  const ref = Reference.fromString(text);
  for (const t of TEXTS) {
    for (const addSpecialTokens of [false, true]) {
      const expected = (await ref.encode(t, null, { addSpecialTokens })).getIds();
      const got = Array.from(ours.encode(t, { addSpecialTokens }));
      assert.equal(got, expected, `${label}: ${JSON.stringify(t.slice(0, 50))} add=${addSpecialTokens}`);
      assert.is(ours.decode(got, { skipSpecialTokens: true }), await ref.decode(expected, true), `${label}: decode ${JSON.stringify(t.slice(0, 50))}`);
    }
  }
}

const split = (regex: string, behavior: string, invert: boolean) => ({ type: 'Split', pattern: { Regex: regex }, behavior, invert });
const byteLevel = (addPrefixSpace: boolean, useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: useRegex });
const added = (id: number, content: string, o: Json = {}) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...o });

test('byte-level: GPT-2 regex through ByteLevel, prefix space, Roberta template, merges as pairs', async () => {
  const json = smallByteLevel(3000, true);
  json.pre_tokenizer = byteLevel(true, true);
  json.added_tokens = [added(100257, '<sep>'), added(100258, '<mask>')];
  json.post_processor = { type: 'RobertaProcessing', sep: ['<sep>', 100257], cls: ['<mask>', 100258], trim_offsets: true, add_prefix_space: true };
  await agree('gpt2', json);
});

test('byte-level: every Split behaviour, inverted or not, and two chained splits', async () => {
  const cl100k = load('gpt4').pre_tokenizer.pretokenizers[0].pattern.Regex;
  const o200k = load('gpt4o').pre_tokenizer.pretokenizers[0].pattern.Regex;
  const qwen = load('qwen3').pre_tokenizer.pretokenizers[0].pattern.Regex;
  const json = smallByteLevel(2000, false);
  for (const behavior of ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous']) {
    for (const invert of [false, true]) {
      json.pre_tokenizer = { type: 'Sequence', pretokenizers: [split(cl100k, behavior, invert), byteLevel(false, false)] };
      await agree(`${behavior} invert=${invert}`, json);
    }
  }
  json.pre_tokenizer = { type: 'Sequence', pretokenizers: [split(o200k, 'Isolated', false), split(qwen, 'MergedWithNext', false), byteLevel(false, false)] };
  await agree('o200k then qwen', json);
});

test("byte-level: DeepSeek-V3's three chained splits", async () => {
  const json = smallByteLevel(2000, false);
  const words = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
    + '| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+'; // CR and LF raw, as DeepSeek's file has them
  json.pre_tokenizer = {
    type: 'Sequence',
    pretokenizers: [split('\\p{N}{1,3}', 'Isolated', false), split('[一-龥\\u3040-ゟ゠-ヿ]+', 'Isolated', false), split(words, 'Isolated', false), byteLevel(false, false)],
  };
  await agree('deepseek', json);
});

test('byte-level: added tokens with lstrip, rstrip, single_word, normalized; Lowercase, NFKC, ignore_merges', async () => {
  const json = smallByteLevel(2000, false);
  json.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] };
  json.model.ignore_merges = true;
  json.added_tokens = [
    added(100257, '<mask>', { lstrip: true, rstrip: true }),
    added(100258, '<sep>', { single_word: true }),
    added(100259, '[CLS]', { normalized: true, special: false }), // matched lowercased, as the normalizer runs
    added(100260, '<special>', { rstrip: true, special: false }),
  ];
  await agree('added tokens', json);
});

/** The small cl100k with every symbol also affixed (prefix "##" or suffix "</w>") and merges for both. */
function affixed(kind: 'prefix' | 'suffix'): Json {
  const json = smallByteLevel(1000, false);
  const vocab: Record<string, number> = { ...json.model.vocab };
  let next = Math.max(...Object.values(vocab)) + 1;
  const affix = (t: string) => (kind === 'prefix' ? '##' + t : t + '</w>');
  for (const t of Object.keys(json.model.vocab)) if (!(affix(t) in vocab)) vocab[affix(t)] = next++;
  const merges: string[][] = [];
  for (const m of json.model.merges as string[]) {
    const [a, b] = m.split(' ');
    merges.push(kind === 'prefix' ? [a, '##' + b] : [a, b], kind === 'prefix' ? ['##' + a, '##' + b] : [a, b + '</w>']);
  }
  json.model = { ...json.model, vocab, merges, [kind === 'prefix' ? 'continuing_subword_prefix' : 'end_of_word_suffix']: kind === 'prefix' ? '##' : '</w>' };
  return json;
}

test('BPE with continuing_subword_prefix, and with end_of_word_suffix', async () => {
  await agree('prefix', affixed('prefix'));
  await agree('suffix', affixed('suffix'));
});

test('SentencePiece: Metaspace pre-tokenizer and decoder, every prepend scheme, split or not', async () => {
  for (const scheme of ['first', 'always', 'never']) {
    for (const splitWords of [true, false]) {
      const json = load('llama2');
      json.normalizer = null;
      json.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: scheme, split: splitWords };
      json.decoder = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: scheme, split: splitWords };
      await agree(`metaspace ${scheme} split=${splitWords}`, json);
    }
  }
});

test('SentencePiece: unknown tokens without byte fallback, fused or not', async () => {
  for (const fuse of [true, false]) {
    const json = load('llama2');
    json.model.byte_fallback = false;
    json.model.fuse_unk = fuse;
    json.decoder = { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] };
    await agree(`unk fuse=${fuse}`, json);
  }
});

test.run();
