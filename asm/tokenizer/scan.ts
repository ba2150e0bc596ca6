// Pre-tokenizer scanners: each reproduces one regular expression that tokenizer.json files use, as a
// function `(p, end) -> end of the match that starts at p, or 0 when none does`. The regex semantics are
// Oniguruma's (what the reference library runs): leftmost-first alternation, greedy quantifiers with
// backtracking, \s = the Unicode White_Space property, (?i) folding for the English contractions.
// `end` is the end of the piece being split: `(?!\S)` sees it as the end of the text, as in the reference.
// It deliberately is no regex engine: the TypeScript side accepts only the exact patterns listed in
// runtime/tokenizer/patterns.ts and refuses any other.
import {
  LETTER, NUMBER, SPACE, UPPERISH, LOWERISH, PUNCTUATION, SYMBOL, MARK, flagsAt, flagsOf, decodeAt, charLen,
} from './unicode';
import { CJK, CL100K, DEEPSEEK, DIGITS3, GPT2, METASPACE, METASPACE_RUNS, O200K, QWEN } from './kinds';

const CR: u32 = 13;
const LF: u32 = 10;
const APOSTROPHE: u32 = 0x27;
const NOT_OTHER: u32 = LETTER | NUMBER | SPACE; // [^\s\p{L}\p{N}] is "none of these"

/** Dispatch on the scanner kind. */
export function matchAt(kind: i32, p: usize, end: usize): usize {
  if (kind == CL100K) return cl100k(p, end, 3);
  if (kind == O200K) return o200k(p, end);
  if (kind == QWEN) return cl100k(p, end, 1);
  if (kind == GPT2) return gpt2(p, end);
  if (kind == DEEPSEEK) return deepseek(p, end);
  if (kind == DIGITS3) return (flagsAt(p) & NUMBER) != 0 ? digits(p + charLen, end, 3) : 0;
  if (kind == CJK) {
    let q = p;
    while (q < end) {
      const c = decodeAt(q);
      if (!((c >= 0x4e00 && c <= 0x9fa5) || (c >= 0x3040 && c <= 0x30ff))) break;
      q += charLen;
    }
    return q > p ? q : 0;
  }
  if (kind == METASPACE) return isMetaspace(p, end) ? p + 3 : 0;
  if (kind == METASPACE_RUNS) {
    let q = p;
    while (isMetaspace(q, end)) q += 3;
    return q > p ? q : 0;
  }
  return end; // WHOLE
}

/** U+2581 (UTF-8 E2 96 81) at p. */
@inline function isMetaspace(p: usize, end: usize): bool {
  return p + 3 <= end && load<u8>(p) == 0xe2 && load<u8>(p, 1) == 0x96 && load<u8>(p, 2) == 0x81;
}

/** End of the longest run from p of code points having some bit of `mask`. */
function runOf(p: usize, end: usize, mask: u32): usize {
  while (p < end && (flagsAt(p) & mask) != 0) p += charLen;
  return p;
}

/** End of the longest run from p of code points having no bit of `mask`. */
function runWithout(p: usize, end: usize, mask: u32): usize {
  while (p < end && (flagsAt(p) & mask) == 0) p += charLen;
  return p;
}

/** The end of \p{N}{1,most} whose first character ends at p. */
function digits(p: usize, end: usize, most: i32): usize {
  for (let k = 1; k < most && p < end && (flagsAt(p) & NUMBER) != 0; k++) p += charLen;
  return p;
}

/** End of the run from p of the bytes \r, \n (and '/' when `slash`). */
function newlines(p: usize, end: usize, slash: bool): usize {
  while (p < end) {
    const b = <u32>load<u8>(p);
    if (b != CR && b != LF && !(slash && b == 0x2f)) break;
    p++;
  }
  return p;
}

@inline function lowerAscii(b: u32): u32 { return b - 65 < 26 ? b + 32 : b; }

/** 's|'t|'re|'ve|'m|'ll|'d at p (which holds the apostrophe), case-folded when `fold`; 0 if none. */
function contraction(p: usize, end: usize, fold: bool): usize {
  const q = p + 1;
  if (q >= end) return 0;
  const raw = <u32>load<u8>(q);
  const c = fold ? lowerAscii(raw) : raw;
  if (c == 0x73 || c == 0x74 || c == 0x6d || c == 0x64) return q + 1; // s t m d
  // Under (?i), U+017F LATIN SMALL LETTER LONG S folds to s.
  if (fold && raw == 0xc5 && q + 1 < end && load<u8>(q, 1) == 0xbf) return q + 2;
  if (q + 1 >= end) return 0;
  const raw2 = <u32>load<u8>(q, 1);
  const c2 = fold ? lowerAscii(raw2) : raw2;
  if ((c == 0x72 || c == 0x76) && c2 == 0x65) return q + 2; // re ve
  if (c == 0x6c && c2 == 0x6c) return q + 2; // ll
  return 0;
}

/**
 * From p, which holds White_Space: `\s*[\r\n]+` (when `breaks`), then `\s+(?!\S)`, then `\s+`.
 * Backtracking makes the first end at the last line break of the run, the second the whole run at the end
 * of the text or all of it but its last character, the third one character.
 */
function spaces(p: usize, end: usize, breaks: bool): usize {
  let q = p;
  let last = p;
  let lastBreak: usize = 0;
  while (q < end) {
    if ((flagsAt(q) & SPACE) == 0) break;
    const b = <u32>load<u8>(q);
    if (b == CR || b == LF) lastBreak = q;
    last = q;
    q += charLen;
  }
  if (breaks && lastBreak != 0) return lastBreak + 1;
  if (q == end || last == p) return q;
  return last;
}

function gpt2(p: usize, end: usize): usize {
  const c = decodeAt(p);
  const f = flagsOf(c);
  if (c == APOSTROPHE) {
    const e = contraction(p, end, false);
    if (e != 0) return e;
  }
  // ` ?X+` takes the space when X can start right after it.
  let q = p;
  let g = f;
  if (c == 0x20 && p + 1 < end) {
    const f2 = flagsAt(p + 1);
    if ((f2 & SPACE) == 0) { q = p + 1; g = f2; }
  }
  if (g & LETTER) return runOf(q, end, LETTER);
  if (g & NUMBER) return runOf(q, end, NUMBER);
  if ((g & SPACE) == 0) return runWithout(q, end, NOT_OTHER);
  return spaces(p, end, false);
}

function cl100k(p: usize, end: usize, maxDigits: i32): usize {
  const c = decodeAt(p);
  const l = charLen;
  const f = flagsOf(c);
  if (c == APOSTROPHE) {
    const e = contraction(p, end, true);
    if (e != 0) return e;
  }
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (f & LETTER) return runOf(p + l, end, LETTER);
  if (c != CR && c != LF && (f & NUMBER) == 0 && p + l < end && (flagsAt(p + l) & LETTER) != 0) {
    return runOf(p + l, end, LETTER);
  }
  if (f & NUMBER) return digits(p + l, end, maxDigits);
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  if (c == 0x20 && p + 1 < end && (flagsAt(p + 1) & NOT_OTHER) == 0) {
    return newlines(runWithout(p + 1, end, NOT_OTHER), end, false);
  }
  if ((f & SPACE) == 0) return newlines(runWithout(p + l, end, NOT_OTHER), end, false);
  return spaces(p, end, true);
}

/** [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+ from p, or 0. */
function casedLower(p: usize, end: usize): usize {
  let q = p;
  let lastLowerEnd: usize = 0;
  while (q < end) {
    const f = flagsAt(q);
    if ((f & UPPERISH) == 0) break;
    if (f & LOWERISH) lastLowerEnd = q + charLen;
    q += charLen;
  }
  if (q < end && (flagsAt(q) & LOWERISH) != 0) return runOf(q + charLen, end, LOWERISH);
  // Backtracking the first star: the second part is the last lower-ish character of the run.
  return lastLowerEnd;
}

/** [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]* from p, or 0. */
function casedUpper(p: usize, end: usize): usize {
  const q = runOf(p, end, UPPERISH);
  return q == p ? 0 : runOf(q, end, LOWERISH);
}

function o200k(p: usize, end: usize): usize {
  const c = decodeAt(p);
  const l = charLen;
  const f = flagsOf(c);
  // The first two alternatives, each with its optional [^\r\n\p{L}\p{N}] prefix tried first.
  const prefix = c != CR && c != LF && (f & (LETTER | NUMBER)) == 0;
  let e: usize = prefix ? casedLower(p + l, end) : 0;
  if (e == 0) e = casedLower(p, end);
  if (e == 0 && prefix) e = casedUpper(p + l, end);
  if (e == 0) e = casedUpper(p, end);
  if (e != 0) {
    if (e < end && load<u8>(e) == APOSTROPHE) {
      const x = contraction(e, end, true);
      if (x != 0) return x;
    }
    return e;
  }
  if (f & NUMBER) return digits(p + l, end, 3);
  // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
  if (c == 0x20 && p + 1 < end && (flagsAt(p + 1) & NOT_OTHER) == 0) {
    return newlines(runWithout(p + 1, end, NOT_OTHER), end, true);
  }
  if ((f & SPACE) == 0) return newlines(runWithout(p + l, end, NOT_OTHER), end, true);
  return spaces(p, end, true);
}

/** ASCII punctuation: the class [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]. */
@inline function asciiPunctuation(b: u32): bool {
  return (b >= 0x21 && b <= 0x2f) || (b >= 0x3a && b <= 0x40) || (b >= 0x5b && b <= 0x60) || (b >= 0x7b && b <= 0x7e);
}

@inline function asciiLetter(b: u32): bool { return (b | 0x20) - 0x61 < 26; }

/**
 * DeepSeek-V3's third split:
 * [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*
 * |\s*[\r\n]+|\s+(?!\S)|\s+  -- characters none of these match (digits, controls) are left as gaps.
 */
function deepseek(p: usize, end: usize): usize {
  const c = decodeAt(p);
  const l = charLen;
  const f = flagsOf(c);
  if (c < 0x80 && asciiPunctuation(c) && p + 1 < end && asciiLetter(<u32>load<u8>(p + 1))) {
    let q = p + 2;
    while (q < end && asciiLetter(<u32>load<u8>(q))) q++;
    return q;
  }
  // [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+, the optional character tried first
  if (c != CR && c != LF && (f & (LETTER | PUNCTUATION | SYMBOL)) == 0 && p + l < end && (flagsAt(p + l) & (LETTER | MARK)) != 0) {
    return runOf(p + l, end, LETTER | MARK);
  }
  if (f & (LETTER | MARK)) return runOf(p + l, end, LETTER | MARK);
  // ` ?[\p{P}\p{S}]+[\r\n]*`
  if (c == 0x20 && p + 1 < end && (flagsAt(p + 1) & (PUNCTUATION | SYMBOL)) != 0) {
    return newlines(runOf(p + 1, end, PUNCTUATION | SYMBOL), end, false);
  }
  if (f & (PUNCTUATION | SYMBOL)) return newlines(runOf(p + l, end, PUNCTUATION | SYMBOL), end, false);
  if (f & SPACE) return spaces(p, end, true);
  return 0;
}
