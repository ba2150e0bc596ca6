// Code point classes for the pre-tokenizer scanners: one flag byte per code point, looked up in the
// generated two-stage table (asm/tokenizer/unicode-data.ts, from gen-unicode.mjs). It deliberately knows
// nothing of normalization or case mapping; those happen in TypeScript before text reaches WebAssembly.
import { BLOCK_SHIFT, BLOCK_MASK, INDEX, BLOCKS } from './unicode-data';

// Bits, in the order of CLASSES in gen-unicode.mjs.
export const LETTER: u32 = 1; // \p{L}
export const NUMBER: u32 = 2; // \p{N}
export const SPACE: u32 = 4; // White_Space property: what Oniguruma's \s means on Unicode text
export const UPPERISH: u32 = 8; // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
export const LOWERISH: u32 = 16; // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
export const PUNCTUATION: u32 = 32; // \p{P}
export const SYMBOL: u32 = 64; // \p{S}
export const MARK: u32 = 128; // \p{M}

/** Flag byte of a code point below 0x110000. */
@inline export function flagsOf(cp: u32): u32 {
  const block = <usize>load<u16>(INDEX + (<usize>(cp >> BLOCK_SHIFT) << 1));
  return <u32>load<u8>(BLOCKS + (block << BLOCK_SHIFT) + <usize>(cp & BLOCK_MASK));
}

// UTF-8 decoding of valid input (TextEncoder output): the code point at p; its byte length in `charLen`.
export let charLen: usize = 1;
@inline export function decodeAt(p: usize): u32 {
  const b0 = <u32>load<u8>(p);
  if (b0 < 0x80) { charLen = 1; return b0; }
  if (b0 < 0xe0) { charLen = 2; return ((b0 & 0x1f) << 6) | (<u32>load<u8>(p, 1) & 0x3f); }
  if (b0 < 0xf0) {
    charLen = 3;
    return ((b0 & 0x0f) << 12) | ((<u32>load<u8>(p, 1) & 0x3f) << 6) | (<u32>load<u8>(p, 2) & 0x3f);
  }
  charLen = 4;
  return ((b0 & 0x07) << 18) | ((<u32>load<u8>(p, 1) & 0x3f) << 12) | ((<u32>load<u8>(p, 2) & 0x3f) << 6)
    | (<u32>load<u8>(p, 3) & 0x3f);
}

/** Flags of the code point at p (p < end); its byte length in `charLen`. */
@inline export function flagsAt(p: usize): u32 {
  const b0 = <u32>load<u8>(p);
  // ASCII: the generator numbers blocks in order of first use, so code points 0..127 are block 0.
  if (b0 < 0x80) { charLen = 1; return <u32>load<u8>(BLOCKS + <usize>b0); }
  return flagsOf(decodeAt(p));
}
