// The BPE model on one pre-tokenized word: initial symbols (bytes or characters, with the subword affixes,
// byte fallback and unknown-token fusion), then merges applied lowest rank first, leftmost first among equal
// ranks (the reference's order): by a linear scan over the pair ranks for short words, through a binary heap
// over a linked list of symbols for long ones, O(n log n), so a megabyte without a space stays near-linear.
// Results of short words are cached. Ids are appended to the output buffer (see output.ts).
// It deliberately implements no dropout (TypeScript refuses models that set it).
import { alloc, vocabFind, mergeOf, byteIds, fallbackIds, hashBytes, bytesEqual, EMPTY_PAIR } from './tables';
import { decodeAt, charLen } from './unicode';
import { pushId, pushIds } from './output';

// Model options, set once by configure().
let byteLevel = false; // initial symbols are bytes (byte-level BPE) rather than characters
let ignoreMerges = false; // a word found whole in the vocabulary is one token
let byteFallback = false;
let unkId: i32 = -1;
let fuseUnk = false;

export function configure(isByteLevel: bool, ignore: bool, fallback: bool, unk: i32, fuse: bool): void {
  byteLevel = isByteLevel; ignoreMerges = ignore; byteFallback = fallback; unkId = unk; fuseUnk = fuse;
}

// continuing_subword_prefix (before every symbol but a word's first) and end_of_word_suffix (after its last),
// as the bytes the vocabulary stores; affixed = either is non-empty.
let prefix: usize = 0;
let prefixLen: usize = 0;
let suffix: usize = 0;
let suffixLen: usize = 0;
let affixed = false;
let symbolText: usize = 0; // [prefixLen + 4 + suffixLen] one symbol's text with its affixes

export function setAffixes(prefixAt: usize, prefixBytes: usize, suffixAt: usize, suffixBytes: usize): void {
  prefix = prefixAt; prefixLen = prefixBytes; suffix = suffixAt; suffixLen = suffixBytes;
  affixed = prefixBytes + suffixBytes > 0;
  symbolText = alloc(prefixBytes + 4 + suffixBytes);
}

/** The symbol text of the character [p, p + len) of the word [start, end): affixes added; its length. */
function withAffixes(p: usize, len: usize, start: usize, end: usize): usize {
  let q = symbolText;
  if (p != start) { memory.copy(q, prefix, prefixLen); q += prefixLen; }
  memory.copy(q, p, len);
  q += len;
  if (p + len == end) { memory.copy(q, suffix, suffixLen); q += suffixLen; }
  return q - symbolText;
}

// Scratch for one word of W symbols: sym/prev/next [W] i32, heap [3W] u64 (rank << 32 | position),
// pairs [W] u64 (the merge of each symbol with its right neighbour, for short words).
let capacity: usize = 0;
let sym: usize = 0;
let prev: usize = 0;
let next: usize = 0;
let heapKeys: usize = 0;
let heapSize: usize = 0;
let pairs: usize = 0;

function ensureScratch(n: usize): void {
  if (n <= capacity) return;
  capacity = max(max(n, capacity * 2), SHORT_WORD);
  sym = alloc(capacity * 4);
  prev = alloc(capacity * 4);
  next = alloc(capacity * 4);
  heapKeys = alloc(capacity * 3 * 8);
  pairs = alloc(capacity * 8);
}

// Up to this many symbols a linear scan for the lowest pair beats the heap's bookkeeping.
const SHORT_WORD: i32 = 32;

/** The same merges as mergeAll for a short word: the lowest (rank, position) pair by scanning. */
function mergeShort(n: i32): void {
  for (let i = 0; i < n; i++) setAt(next, i, i + 1 < n ? i + 1 : -1);
  for (let i = 0; i + 1 < n; i++) store<u64>(pairs + (<usize>i << 3), mergeOf(at(sym, i), at(sym, i + 1)));
  if (n > 0) store<u64>(pairs + (<usize>(n - 1) << 3), EMPTY_PAIR);
  while (true) {
    let best = EMPTY_PAIR;
    let bestAt: i32 = -1;
    let before: i32 = -1; // the symbol left of bestAt
    let last: i32 = -1;
    for (let i: i32 = 0; i >= 0; i = at(next, i)) {
      const v = load<u64>(pairs + (<usize>i << 3));
      if ((v >> 32) < (best >> 32)) { best = v; bestAt = i; before = last; }
      last = i;
    }
    if (bestAt < 0) return;
    const right = at(next, bestAt);
    setAt(sym, bestAt, <i32><u32>best);
    const after = at(next, right);
    setAt(next, bestAt, after);
    store<u64>(pairs + (<usize>bestAt << 3), after >= 0 ? mergeOf(<i32><u32>best, at(sym, after)) : EMPTY_PAIR);
    if (before >= 0) store<u64>(pairs + (<usize>before << 3), mergeOf(at(sym, before), <i32><u32>best));
  }
}

@inline function at(base: usize, i: i32): i32 { return load<i32>(base + (<usize>i << 2)); }
@inline function setAt(base: usize, i: i32, v: i32): void { store<i32>(base + (<usize>i << 2), v); }

function heapPush(key: u64): void {
  let i: usize = heapSize++;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pk = load<u64>(heapKeys + parent * 8);
    if (pk <= key) break;
    store<u64>(heapKeys + i * 8, pk);
    i = parent;
  }
  store<u64>(heapKeys + i * 8, key);
}

function heapPop(): u64 {
  const top = load<u64>(heapKeys);
  const key = load<u64>(heapKeys + --heapSize * 8);
  let i: usize = 0;
  while (true) {
    let child: usize = 2 * i + 1;
    if (child >= heapSize) break;
    let ck = load<u64>(heapKeys + child * 8);
    if (child + 1 < heapSize) {
      const rk = load<u64>(heapKeys + (child + 1) * 8);
      if (rk < ck) { child++; ck = rk; }
    }
    if (key <= ck) break;
    store<u64>(heapKeys + i * 8, ck);
    i = child;
  }
  store<u64>(heapKeys + i * 8, key);
  return top;
}

/** Queue the merge of the symbol at i with its right neighbour j, if the pair has one. */
@inline function queuePair(i: i32, j: i32): void {
  const v = mergeOf(at(sym, i), at(sym, j));
  if (v != EMPTY_PAIR) heapPush((v & 0xffffffff00000000) | <u64><u32>i);
}

/** Initial symbols of [p, end) into sym; returns their count. */
function initialSymbols(p: usize, end: usize): i32 {
  const start = p;
  let n: i32 = 0;
  let lastUnk = false;
  while (p < end) {
    let id: i32;
    let len: usize = 1;
    if (!byteLevel) { decodeAt(p); len = charLen; }
    let text = p; // the symbol's text: the character, or the character with its affixes
    let textLen = len;
    if (affixed) {
      textLen = withAffixes(p, len, start, end);
      text = symbolText;
      id = vocabFind(text, textLen);
    } else {
      id = byteLevel ? load<i32>(byteIds + (<usize>load<u8>(p) << 2)) : vocabFind(p, len);
    }
    if (id >= 0) {
      setAt(sym, n++, id);
      lastUnk = false;
    } else if (byteFallback && allFallbacks(text, textLen)) {
      for (let i: usize = 0; i < textLen; i++) setAt(sym, n++, load<i32>(fallbackIds + (<usize>load<u8>(text + i) << 2)));
      lastUnk = false;
    } else if (unkId >= 0) {
      if (!(fuseUnk && lastUnk)) setAt(sym, n++, unkId);
      lastUnk = true;
    } // else: the reference drops a character it cannot represent
    p += len;
  }
  return n;
}

function allFallbacks(p: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) if (load<i32>(fallbackIds + (<usize>load<u8>(p + i) << 2)) < 0) return false;
  return true;
}

/** Merge sym[0..n) in place with the heap; the survivors are the list from 0 along `next`. */
function mergeAll(n: i32): void {
  heapSize = 0;
  for (let i = 0; i < n; i++) {
    setAt(prev, i, i - 1);
    setAt(next, i, i + 1 < n ? i + 1 : -1);
  }
  for (let i = 0; i + 1 < n; i++) queuePair(i, i + 1);
  while (heapSize > 0) {
    const top = heapPop();
    const pos = <i32><u32>top;
    const left = at(sym, pos);
    if (left < 0) continue; // merged into its left neighbour since queued
    const right = at(next, pos);
    if (right < 0) continue;
    const v = mergeOf(left, at(sym, right));
    if (v == EMPTY_PAIR || (v >> 32) != (top >> 32)) continue; // the pair changed since queued
    setAt(sym, pos, <i32><u32>v);
    setAt(sym, right, -1);
    const after = at(next, right);
    setAt(next, pos, after);
    if (after >= 0) setAt(prev, after, pos);
    const before = at(prev, pos);
    if (before >= 0) queuePair(before, pos);
    if (after >= 0) queuePair(pos, after);
  }
}

// Cache of short words: slots [CACHE_SLOTS] x (hash u32, arena offset u32; 0 = empty),
// arena entries [len u32][bytes, padded to 4][count u32][ids i32...].
const CACHE_SLOTS: u32 = 1 << 17;
const CACHE_MAX_WORDS: u32 = CACHE_SLOTS >> 1;
const CACHE_ARENA: usize = 4 << 20;
const CACHE_MAX_WORD: usize = 64;
const cacheSlots = alloc(<usize>CACHE_SLOTS * 8);
const arena = alloc(CACHE_ARENA);
let arenaTop: usize = 4; // offset 0 means empty
let cachedWords: u32 = 0;

function cacheReset(): void {
  memory.fill(cacheSlots, 0, <usize>CACHE_SLOTS * 8);
  arenaTop = 4;
  cachedWords = 0;
}

// Where a failed lookup stopped: the empty slot cacheStore fills.
let missSlot: u32 = 0;
let missHash: u32 = 0;

/** Appends the cached ids of [p, p + n) and returns true, or returns false and sets missSlot/missHash. */
function cacheEmit(p: usize, n: usize): bool {
  const h = hashBytes(p, n);
  let s = h & (CACHE_SLOTS - 1);
  while (true) {
    const slot = cacheSlots + <usize>s * 8;
    const off = <usize>load<u32>(slot, 4);
    if (off == 0) break;
    if (load<u32>(slot) == h) {
      const e = arena + off;
      if (<usize>load<u32>(e) == n && bytesEqual(e + 4, p, n)) {
        const ids = e + 4 + ((n + 3) & ~3);
        pushIds(ids + 4, <usize>load<u32>(ids));
        return true;
      }
    }
    s = (s + 1) & (CACHE_SLOTS - 1);
  }
  missSlot = s;
  missHash = h;
  return false;
}

function cacheStore(p: usize, n: usize, count: i32): void {
  const need: usize = 8 + ((n + 3) & ~(<usize>3)) + <usize>count * 4;
  if (cachedWords >= CACHE_MAX_WORDS || arenaTop + need > CACHE_ARENA) {
    cacheReset();
    missSlot = missHash & (CACHE_SLOTS - 1); // the table is empty now
  }
  const e = arena + arenaTop;
  store<u32>(e, <u32>n);
  memory.copy(e + 4, p, n);
  const ids = e + 4 + ((n + 3) & ~3);
  store<u32>(ids, <u32>count);
  let i = 0;
  for (let j = 0; j >= 0; j = at(next, j)) store<i32>(ids + 4 + <usize>(i++) * 4, at(sym, j));
  const slot = cacheSlots + <usize>missSlot * 8;
  store<u32>(slot, missHash);
  store<u32>(slot, <u32>arenaTop, 4);
  arenaTop += need;
  cachedWords++;
}

/** Encode the word [p, end), appending its ids. */
export function encodeWord(p: usize, end: usize): void {
  const n = end - p;
  const cacheable = n <= CACHE_MAX_WORD;
  if (cacheable && cacheEmit(p, n)) return;
  if (ignoreMerges) {
    const id = vocabFind(p, n);
    if (id >= 0) { pushId(id); return; }
  }
  // Byte fallback over affixed symbols can give more symbols than bytes.
  ensureScratch(affixed ? n * (1 + prefixLen) + suffixLen : n);
  const count = initialSymbols(p, end);
  if (count == 0) return;
  if (count <= SHORT_WORD) mergeShort(count); else mergeAll(count);
  let kept = 0;
  for (let j = 0; j >= 0; j = at(next, j)) { pushId(at(sym, j)); kept++; }
  if (cacheable) cacheStore(p, n, kept);
}
