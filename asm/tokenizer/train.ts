// The BPE trainer: from the counted words (train-words.ts) and an initial vocabulary set by TypeScript
// (special tokens, then the alphabet), merge the most frequent adjacent pair of symbols again and again
// until the vocabulary is full, no pair is left, or the best pair is rarer than the minimum frequency.
// A merge rewrites only the words its queue entry lists and reports the pairs it removed and created, so
// counts are updated incrementally (train-pairs.ts) instead of recounted. Each merge's token is the two
// tokens' bytes joined; a token that already exists keeps its id (the vocabulary does not grow then).
// It deliberately knows no strings: tokens are bytes, which TypeScript spells in the byte-level alphabet.
import { alloc, hashBytes, bytesEqual } from './tables';
import { wordCount, wordCounts, wordBytes, wordLength } from './train-words';
import {
  resetPairs, change, endStep, pop, push, countOf, setCount, pairOfEntry, wordsStart, wordsLength, pairLeft, pairRight,
  pairCounts, pool,
} from './train-pairs';

/** Id of each byte's alphabet token, -1 for a byte left out of the alphabet (TypeScript fills it). */
export const alphabetIds = alloc(256 * 4);

// Tokens by id: bytes tokenBytes[tokenStarts[id], + tokenLengths[id]); a special token the byte-level
// alphabet cannot spell has no bytes and is never found by bytes.
const tokenStarts = new Array<u32>();
const tokenLengths = new Array<u32>();
let tokenBytes: usize = 0;
let tokenCap: usize = 0;
let tokenTop: usize = 0;
let slots = new StaticArray<u32>(0); // [cap] token id + 1, 0 = empty; by the hash of the token's bytes
let slotMask: u32 = 0;

// Words as symbol ids: word w is symbols[symStarts[w], + symLengths[w]) (shrinking as merges apply).
const symbols = new Array<i32>();
const symStarts = new Array<u32>();
const symLengths = new Array<u32>();

/** Merges so far: (left id, right id, merged id) each, in the order made. */
const merges = new Array<i32>();

let vocabTarget: i32 = 0;
let minFrequency: i64 = 0;

/** Start a vocabulary (a new training run); then addToken for each initial token in id order. */
export function resetTokens(): void {
  tokenStarts.length = 0; tokenLengths.length = 0; tokenTop = 0;
  if (tokenCap == 0) { tokenCap = 1 << 16; tokenBytes = alloc(tokenCap); }
  slots = new StaticArray<u32>(1 << 12);
  slotMask = (1 << 12) - 1;
  merges.length = 0;
}

/** Room for n more token bytes at tokenBytes + tokenTop. */
function reserveTokenBytes(n: usize): void {
  if (tokenTop + n <= tokenCap) return;
  const grown = max(tokenCap * 2, tokenTop + n);
  const fresh = alloc(grown);
  memory.copy(fresh, tokenBytes, tokenTop);
  tokenBytes = fresh;
  tokenCap = grown;
}

/** Token id `tokenCount()` is [p, p + n); `findable` false for a token the byte alphabet cannot spell. */
export function addToken(p: usize, n: usize, findable: bool): i32 {
  reserveTokenBytes(n);
  memory.copy(tokenBytes + tokenTop, p, n);
  return commitToken(n, findable);
}

/** The n bytes at tokenBytes + tokenTop become the next token. */
function commitToken(n: usize, findable: bool): i32 {
  const id = tokenStarts.length;
  tokenStarts.push(<u32>tokenTop);
  tokenLengths.push(<u32>n);
  if (findable) {
    let s = hashBytes(tokenBytes + tokenTop, n) & slotMask;
    while (unchecked(slots[s]) != 0) s = (s + 1) & slotMask;
    unchecked(slots[s] = <u32>id + 1);
  }
  tokenTop += n;
  if (findable && <u32>id * 2 > slotMask) growSlots();
  return id;
}

export function tokenCount(): i32 { return tokenStarts.length; }
export function tokenPointer(id: i32): usize { return tokenBytes + <usize>unchecked(tokenStarts[id]); }
export function tokenLength(id: i32): usize { return <usize>unchecked(tokenLengths[id]); }

function growSlots(): void {
  const cap = (slotMask + 1) * 2;
  const fresh = new StaticArray<u32>(cap);
  const m = cap - 1;
  for (let i: u32 = 0; i <= slotMask; i++) {
    const tag = unchecked(slots[i]);
    if (tag == 0) continue;
    const id = <i32>tag - 1;
    let s = hashBytes(tokenPointer(id), tokenLength(id)) & m;
    while (unchecked(fresh[s]) != 0) s = (s + 1) & m;
    unchecked(fresh[s] = tag);
  }
  slots = fresh;
  slotMask = m;
}

/** The id of the token [p, p + n), or -1. */
function findToken(p: usize, n: usize): i32 {
  let s = hashBytes(p, n) & slotMask;
  while (true) {
    const tag = unchecked(slots[s]);
    if (tag == 0) return -1;
    const id = <i32>tag - 1;
    if (tokenLength(id) == n && bytesEqual(tokenPointer(id), p, n)) return id;
    s = (s + 1) & slotMask;
  }
}

/** The id of left's bytes followed by right's, added to the vocabulary when new. */
function joined(left: i32, right: i32): i32 {
  const a = tokenLength(left);
  const b = tokenLength(right);
  reserveTokenBytes(a + b); // the candidate is written where a new token would go
  const at = tokenBytes + tokenTop;
  memory.copy(at, tokenPointer(left), a);
  memory.copy(at + a, tokenPointer(right), b);
  const id = findToken(at, a + b);
  return id >= 0 ? id : commitToken(a + b, true);
}

/**
 * Begin merging: each word becomes its alphabet symbols (bytes outside the alphabet dropped) and every
 * adjacent pair is counted and queued. `vocabSize` and `minFreq` are the stopping rules.
 */
export function startMerges(vocabSize: i32, minFreq: f64): void {
  vocabTarget = vocabSize;
  minFrequency = <i64>minFreq;
  resetPairs();
  symbols.length = 0; symStarts.length = 0; symLengths.length = 0;
  for (let w = 0; w < wordCount; w++) {
    const p = wordBytes(w);
    const n = wordLength(w);
    const start = symbols.length;
    for (let i: usize = 0; i < n; i++) {
      const id = load<i32>(alphabetIds + (<usize>load<u8>(p + i) << 2));
      if (id >= 0) symbols.push(id);
    }
    symStarts.push(<u32>start);
    symLengths.push(<u32>(symbols.length - start));
    const count = unchecked(wordCounts[w]);
    for (let i = start; i + 1 < symbols.length; i++) change(unchecked(symbols[i]), unchecked(symbols[i + 1]), 1, w, count);
  }
  endStep();
}

/**
 * Up to `limit` more merges; returns how many were made (fewer than `limit`: training is over). The caller
 * reports progress between calls.
 */
export function mergeSome(limit: i32): i32 {
  let made = 0;
  while (made < limit && tokenStarts.length < vocabTarget) {
    const e = pop();
    if (e < 0) break;
    const pair = pairOfEntry(e);
    const current = unchecked(pairCounts[pair]);
    if (countOf(e) != current) { setCount(e, current); push(e); continue; }
    if (current < 1 || minFrequency > current) break;
    const left = unchecked(pairLeft[pair]);
    const right = unchecked(pairRight[pair]);
    const id = joined(left, right);
    merges.push(left); merges.push(right); merges.push(id);
    const start = wordsStart(e);
    const end = start + wordsLength(e);
    for (let i = start; i < end; i++) mergeInWord(unchecked(pool[i]), left, right, id);
    endStep();
    made++;
  }
  return made;
}

/** Replace each (left, right) in word w by id, left to right, reporting the pairs lost and gained. */
function mergeInWord(w: i32, left: i32, right: i32, id: i32): void {
  const start = <i32>unchecked(symStarts[w]);
  const n = <i32>unchecked(symLengths[w]);
  const count = unchecked(wordCounts[w]);
  let out = start;
  let r = start;
  const end = start + n;
  while (r < end) {
    const s = unchecked(symbols[r]);
    if (s == left && r + 1 < end && unchecked(symbols[r + 1]) == right) {
      if (out > start) {
        const before = unchecked(symbols[out - 1]);
        change(before, left, -1, w, count);
        change(before, id, 1, w, count);
      }
      if (r + 2 < end) {
        const after = unchecked(symbols[r + 2]);
        change(right, after, -1, w, count);
        change(id, after, 1, w, count);
      }
      unchecked(symbols[out++] = id);
      r += 2;
    } else {
      unchecked(symbols[out++] = s);
      r++;
    }
  }
  unchecked(symLengths[w] = <u32>(out - start));
}

export function mergeCount(): i32 { return merges.length / 3; }
export function mergesPointer(): usize { return merges.dataStart; }
