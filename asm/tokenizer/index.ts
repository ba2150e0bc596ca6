// The tokenizer module (build/tokenizer.wasm): pre-tokenizer scanners, the BPE model and the BPE trainer,
// driven by runtime/tokenizer/. TypeScript normalizes text, splits out added tokens, encodes each remaining
// segment to UTF-8 in the input buffer and calls encodeSegment, which appends ids to the output buffer.
// Training (runtime/tokenizer/train.ts) passes each text through countSegment, then merges (train.ts).
import { alloc } from './tables';
import { splitStage, setCounting } from './pretok';
import { flagsOf } from './unicode';

export { alloc, buildVocab, buildMerges, vocabFind, byteIds, fallbackIds } from './tables';
export { configure, setAffixes } from './bpe';
export { clearStages, addStage } from './pretok';
export { reserveOut, resetOut, outPointer, outCount, appendId } from './output';
export { resetWords, byteFrequencies, distinctWords } from './train-words';
export {
  alphabetIds, resetTokens, addToken, tokenCount, tokenPointer, tokenLength, startMerges, mergeSome, mergeCount, mergesPointer,
} from './train';

let input: usize = 0;
let inputCapacity: usize = 0;

/** The input buffer, with room for at least `bytes` bytes. */
export function inputBuffer(bytes: usize): usize {
  if (bytes > inputCapacity) {
    inputCapacity = max(bytes, inputCapacity * 2);
    input = alloc(inputCapacity);
  }
  return input;
}

/**
 * The SentencePiece-style normalization in place: every space of input[0..bytes) becomes U+2581, and with
 * `prepend` 1 a U+2581 goes in front (2: only if the text does not start with one after the replacement).
 * Returns the new length; the input buffer must hold 3 * bytes + 3 (TypeScript reserves that).
 */
export function spacesToMetaspace(bytes: usize, prepend: i32): usize {
  let spaces: usize = 0;
  for (let i: usize = 0; i < bytes; i++) if (load<u8>(input + i) == 0x20) spaces++;
  const startsWithMeta = bytes > 0 && (load<u8>(input) == 0x20
    || (bytes >= 3 && load<u8>(input) == 0xe2 && load<u8>(input, 1) == 0x96 && load<u8>(input, 2) == 0x81));
  const lead: usize = prepend == 1 || (prepend == 2 && !startsWithMeta) ? 3 : 0;
  const total = bytes + 2 * spaces + lead;
  let w = total;
  for (let r = bytes; r > 0;) {
    const b = load<u8>(input + --r);
    if (b == 0x20) { w -= 3; store<u8>(input + w, 0xe2); store<u8>(input + w, 0x96, 1); store<u8>(input + w, 0x81, 2); }
    else store<u8>(input + --w, b);
  }
  if (lead != 0) { store<u8>(input, 0xe2); store<u8>(input, 0x96, 1); store<u8>(input, 0x81, 2); }
  return total;
}

/** Pre-tokenize and encode input[0..bytes), appending ids. */
export function encodeSegment(bytes: usize): void {
  if (bytes > 0) splitStage(0, input, input + bytes);
}

/** Pre-tokenize input[0..bytes) and count its words for training (see train-words.ts). */
export function countSegment(bytes: usize): void {
  if (bytes == 0) return;
  setCounting(true);
  splitStage(0, input, input + bytes);
  setCounting(false);
}

/** The class flags of a code point, exported for the table's test against the JS engine. */
export function unicodeFlags(cp: u32): u32 { return cp < 0x110000 ? flagsOf(cp) : 0; }
