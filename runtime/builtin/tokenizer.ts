// The built-in tokenizer: byte-level, one token per byte (ids 0..255) plus `<|endoftext|>` (256), in
// Hugging Face tokenizer.json form so it goes through the same Tokenizer as any model's. Byte b is written
// as the printable character GPT-2's byte-level scheme assigns it (printable Latin-1 bytes stand for
// themselves, the rest are shifted above U+0100).

export const BUILTIN_EOS = 256;

function byteChars(): string[] {
  const chars: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars.push(String.fromCharCode(printable ? b : 256 + shifted++));
  }
  return chars;
}

export function builtinTokenizerJson(): object {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, b) => { vocab[c] = b; });
  vocab['<|endoftext|>'] = BUILTIN_EOS;
  return {
    version: '1.0',
    added_tokens: [{ id: BUILTIN_EOS, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
}
