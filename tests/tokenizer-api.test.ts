// The Tokenizer API beyond exact ids: batches, vocabulary look-ups, chat templates from tokenizer_config.json,
// the compact binary form (same ids, smaller, detected by fromFile), the `osteon tokenize` command, and the
// errors a malformed or unsupported tokenizer.json gives (each naming the field or component).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Tokenizer, TokenizerError } from '../runtime/tokenizer/index.js';
import { tokenizeCommand, type CommandIO } from '../runtime/tokenizer/cli.js';
import { EDGE_CASES, lenmlTokenizer, realText } from './tokenizer-cases.js';

const QWEN = lenmlTokenizer('qwen3');
const qwenJSON = readFileSync(QWEN, 'utf8');
const qwen = Tokenizer.fromJSON(qwenJSON);
const TEXTS = [...EDGE_CASES, ...realText(8_000)];

test('encodeBatch equals encode on each text', () => {
  const batch = qwen.encodeBatch(TEXTS, { addSpecialTokens: false });
  TEXTS.forEach((t, i) => assert.equal(Array.from(batch[i]), Array.from(qwen.encode(t, { addSpecialTokens: false }))));
});

test('tokenToId and idToToken are inverse, added tokens included', () => {
  assert.is(qwen.tokenToId('<|im_start|>'), 151644);
  assert.is(qwen.idToToken(151644), '<|im_start|>');
  assert.is(qwen.tokenToId('Hello'), 9707);
  assert.is(qwen.idToToken(9707), 'Hello');
  assert.is(qwen.tokenToId('no such token, surely'), undefined);
  assert.is(qwen.idToToken(10_000_000), undefined);
});

test('chat template from tokenizer_config.json, rendered with @huggingface/jinja, then encoded', async () => {
  const tok = await Tokenizer.fromFile(dirname(QWEN)); // the folder: tokenizer.json + tokenizer_config.json
  const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }];
  const text = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
  assert.is(text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  const ids = Array.from(tok.encode(text));
  assert.is(ids[0], tok.tokenToId('<|im_start|>'));
  assert.is(ids.filter((id) => id === tok.tokenToId('<|im_end|>')).length, 2);
  assert.throws(() => Tokenizer.fromJSON(qwenJSON).applyChatTemplate(messages), /no chat template/);
});

test('binary form: same ids, decode and vocabulary; smaller than the JSON; found by fromFile', async () => {
  const bytes = qwen.toBinary();
  assert.ok(bytes.length < qwenJSON.length, `binary ${bytes.length} B vs JSON ${qwenJSON.length} B`);
  const dir = mkdtempSync(join(tmpdir(), 'osteon-tok-'));
  writeFileSync(join(dir, 'qwen3.bin'), bytes);
  for (const back of [Tokenizer.fromBinary(bytes), await Tokenizer.fromFile(join(dir, 'qwen3.bin'))]) {
    for (const t of TEXTS) {
      const ids = qwen.encode(t);
      assert.equal(Array.from(back.encode(t)), Array.from(ids));
      assert.is(back.decode(ids), qwen.decode(ids));
    }
    assert.is(back.vocabSize, qwen.vocabSize);
    assert.is(back.tokenToId('Hello'), 9707);
    assert.is(back.idToToken(151644), '<|im_start|>');
  }
  assert.throws(() => Tokenizer.fromBinary(bytes.subarray(0, 1000)), /truncated/);
});

function capture(stdin: string): CommandIO & { stdout: string; stderr: string } {
  const io = {
    stdin: [new TextEncoder().encode(stdin)],
    stdout: '',
    stderr: '',
    out(t: string) { io.stdout += t; },
    err(t: string) { io.stderr += t; },
  };
  return io;
}

test('osteon tokenize: ids of stdin, --decode, --write-binary, usage errors', async () => {
  const text = 'Hello world, <|im_start|>user\nhi';
  let io = capture(text);
  assert.is(await tokenizeCommand(['--tokenizer', QWEN], io), 0);
  assert.is(io.stdout, Array.from(qwen.encode(text)).join(' ') + '\n');
  io = capture(Array.from(qwen.encode(text)).join(' '));
  assert.is(await tokenizeCommand(['--tokenizer', QWEN, '--decode'], io), 0);
  assert.is(io.stdout, text);
  const out = join(mkdtempSync(join(tmpdir(), 'osteon-tok-')), 'q.bin');
  assert.is(await tokenizeCommand(['--tokenizer', QWEN, '--write-binary', out], capture('')), 0);
  io = capture(text);
  assert.is(await tokenizeCommand(['--tokenizer', out, '--no-special'], io), 0);
  assert.is(io.stdout, Array.from(qwen.encode(text, { addSpecialTokens: false })).join(' ') + '\n');
  io = capture('');
  assert.is(await tokenizeCommand([], io), 2);
  assert.match(io.stderr, /--tokenizer FILE is required/);
  io = capture('');
  assert.is(await tokenizeCommand(['--tokenizer', join(tmpdir(), 'missing-tokenizer.json')], io), 1);
  assert.match(io.stderr, /^\[tokenizer\] cannot read .*missing-tokenizer\.json/);
});

/** A tiny valid byte-level tokenizer.json to break one field at a time. */
function tiny(): Record<string, any> {
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null, decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, fuse_unk: false, byte_fallback: false, vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
  };
}

function rejects(edit: (j: Record<string, any>) => void, message: RegExp): void {
  const j = tiny();
  edit(j);
  try {
    Tokenizer.fromJSON(JSON.stringify(j));
  } catch (e) {
    assert.instance(e, TokenizerError);
    assert.match((e as Error).message, /^\[tokenizer\] /);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`accepted; expected ${message}`);
}

test('malformed or unsupported tokenizer.json: the error names the field or component', () => {
  assert.equal(Array.from(Tokenizer.fromJSON(tiny()).encode('ab')), [2]);
  assert.throws(() => Tokenizer.fromJSON('{"model": '), /not valid JSON/);
  rejects((j) => delete j.model, /model must be an object/);
  rejects((j) => (j.model.vocab = ['a']), /model\.vocab must be an object/);
  rejects((j) => (j.model.vocab.a = 'zero'), /model\.vocab\["a"\] must be a non-negative integer/);
  rejects((j) => (j.model.merges = ['a b c']), /model\.merges\[0\] must be two tokens/);
  rejects((j) => (j.model.merges = ['a c']), /model\.merges\[0\] "a c" needs "c"/);
  rejects((j) => (j.model.type = 'Unigram'), /model\.type is "Unigram".*BPE models only/);
  rejects((j) => (j.model.dropout = 0.1), /model\.dropout/);
  rejects((j) => (j.added_tokens = [{ id: 'x', content: '<s>' }]), /added_tokens\[0\]\.id must be/);
  rejects((j) => (j.pre_tokenizer = { type: 'Whitespace' }), /pre_tokenizer\.type is "Whitespace"/);
  rejects((j) => (j.pre_tokenizer = { type: 'Split', pattern: { Regex: '\\w+' }, behavior: 'Isolated', invert: false }), /pre_tokenizer\.pattern\.Regex is the pattern "\\\\w\+"/);
  rejects((j) => (j.pre_tokenizer = { type: 'Split', pattern: { String: ' ' }, behavior: 'Isolated', invert: false }), /string pattern/);
  rejects((j) => (j.normalizer = { type: 'Precompiled', precompiled_charsmap: '' }), /normalizer\.type is "Precompiled"/);
  rejects((j) => (j.normalizer = { type: 'Replace', pattern: { Regex: ' +' }, content: ' ' }), /normalizer\.pattern is the regex/);
  rejects((j) => (j.decoder = { type: 'WordPiece' }), /decoder\.type is "WordPiece"/);
  rejects((j) => (j.post_processor = { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>' } }], special_tokens: {} }), /special_tokens\["<s>"\] must be an object/);
  rejects((j) => (j.truncation = { max_length: 512 }), /truncation is set/);
  rejects((j) => (j.model.continuing_subword_prefix = '\u2581'), /continuing_subword_prefix "\u2581" is not in the byte-level alphabet/);
});

test.run();
