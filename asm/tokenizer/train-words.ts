// Word counting for the BPE trainer: each distinct pre-tokenized word (its UTF-8 bytes, which spell its
// byte-level string one byte per character) with the number of times it occurs. Words are numbered in
// first-seen order, so nothing downstream depends on hash order and the same input always trains the same.
// It deliberately keeps words as bytes: the alphabet (which bytes become symbols) is decided after counting.
import { alloc, hashBytes, bytesEqual } from './tables';

/** Distinct words so far; word w is bytes[starts[w], starts[w + 1]) occurring counts[w] times. */
export let wordCount: i32 = 0;
const wordStarts = new Array<u32>(); // [W + 1]
export const wordCounts = new Array<u64>(); // [W]

let bytes: usize = 0; // all distinct words' bytes, concatenated
let bytesCap: usize = 0;
let bytesTop: usize = 0;

let slots: usize = 0; // [cap] x (hash u32, word + 1 u32); 0 = empty
let mask: u32 = 0;

export function distinctWords(): i32 { return wordCount; }

/** Forget every word (a new training run). */
export function resetWords(): void {
  wordCount = 0;
  wordStarts.length = 0;
  wordStarts.push(0);
  wordCounts.length = 0;
  bytesTop = 0;
  if (bytesCap == 0) { bytesCap = 1 << 16; bytes = alloc(bytesCap); }
  const cap: u32 = 1 << 12;
  mask = cap - 1;
  slots = alloc(<usize>cap * 8);
}

/** The bytes of word w start here. */
export function wordBytes(w: i32): usize { return bytes + <usize>unchecked(wordStarts[w]); }
export function wordLength(w: i32): usize { return <usize>(unchecked(wordStarts[w + 1]) - unchecked(wordStarts[w])); }

/** One more occurrence of the word [p, end). */
export function countWord(p: usize, end: usize): void {
  const n = end - p;
  const h = hashBytes(p, n);
  let s = h & mask;
  while (true) {
    const slot = slots + <usize>s * 8;
    const w = <i32>load<u32>(slot, 4) - 1;
    if (w < 0) break;
    if (load<u32>(slot) == h && wordLength(w) == n && bytesEqual(wordBytes(w), p, n)) {
      unchecked(wordCounts[w] = unchecked(wordCounts[w]) + 1);
      return;
    }
    s = (s + 1) & mask;
  }
  if (bytesTop + n > bytesCap) {
    const grown = max(bytesCap * 2, bytesTop + n);
    const fresh = alloc(grown);
    memory.copy(fresh, bytes, bytesTop);
    bytes = fresh;
    bytesCap = grown;
  }
  memory.copy(bytes + bytesTop, p, n);
  bytesTop += n;
  wordStarts.push(<u32>bytesTop);
  wordCounts.push(1);
  const slot = slots + <usize>s * 8;
  store<u32>(slot, h);
  store<u32>(slot, <u32>(++wordCount), 4);
  if (<u32>wordCount * 2 > mask) grow();
}

/** Double the slot table (words keep their numbers). */
function grow(): void {
  const cap = (mask + 1) * 2;
  const fresh = alloc(<usize>cap * 8);
  const m = cap - 1;
  for (let i: u32 = 0; i <= mask; i++) {
    const old = slots + <usize>i * 8;
    const tag = load<u32>(old, 4);
    if (tag == 0) continue;
    const h = load<u32>(old);
    let s = h & m;
    while (load<u32>(fresh + <usize>s * 8, 4) != 0) s = (s + 1) & m;
    store<u32>(fresh + <usize>s * 8, h);
    store<u32>(fresh + <usize>s * 8, tag, 4);
  }
  slots = fresh;
  mask = m;
}

/** out[b] = occurrences of byte b over all words, as f64 (exact below 2^53) for TypeScript. */
export function byteFrequencies(out: usize): void {
  memory.fill(out, 0, 256 * 8);
  for (let w = 0; w < wordCount; w++) {
    const c = <f64>unchecked(wordCounts[w]);
    const p = wordBytes(w);
    const n = wordLength(w);
    for (let i: usize = 0; i < n; i++) {
      const at = out + (<usize>load<u8>(p + i) << 3);
      store<f64>(at, load<f64>(at) + c);
    }
  }
}
