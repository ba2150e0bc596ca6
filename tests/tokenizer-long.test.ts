// Long inputs: a megabyte without a space (one pre-tokenized word for byte-level BPE; one SentencePiece word)
// gives the reference's ids, and encode time grows about linearly (a quadratic merge loop would take hours).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tokenizer as Reference } from 'tokenizers';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { lenmlTokenizer, realText } from './tokenizer-cases.js';

/** n characters of real letters only: no space, no punctuation. */
function noSpace(n: number): string {
  let letters = realText(40_000).join('').replace(/[^\p{L}]/gu, '');
  while (letters.length < n) letters += letters;
  return letters.slice(0, n);
}

const MB = noSpace(1 << 20);

for (const name of ['gpt4o', 'llama2']) {
  test(`${name}: 1 MB without a space, same ids as the reference, near-linear time`, async () => {
    const path = lenmlTokenizer(name);
    const ours = await Tokenizer.fromFile(path);
    const ref = Reference.fromFile(path);
    const expected = (await ref.encode(MB, null, { addSpecialTokens: false })).getIds();
    const got = ours.encode(MB, { addSpecialTokens: false });
    assert.is(got.length, expected.length);
    assert.ok(got.every((id, i) => id === expected[i]), 'ids differ');
    const time = (text: string) => {
      let best = Infinity;
      for (let rep = 0; rep < 2; rep++) {
        const t0 = performance.now();
        ours.encode(text, { addSpecialTokens: false });
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const quarter = time(MB.slice(0, MB.length / 4));
    const whole = time(MB);
    assert.ok(whole < 10 * quarter + 50, `4x the text took ${(whole / quarter).toFixed(1)}x the time (${whole.toFixed(0)} ms)`);
  });
}

test.run();
