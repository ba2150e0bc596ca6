// The BPE trainer's pair bookkeeping, kept exactly as the reference trainer keeps it, since its quirks decide
// the merges: a count per pair (adjusted by the changes each merge reports, never reset for a merged pair),
// the words in which each pair newly appeared during the current step, and a priority queue of entries
// (count, pair, words) with lazy updates: an entry whose count went stale is pushed back with the current
// count, and a merge touches only the words its entry lists.
// Order: the highest count first, then the smaller (left id, right id); identical entries (same count and
// pair, which the reference leaves to its heap) in the order they were queued.
// It deliberately stores words as lists of numbers only; train.ts owns the words and the tokens.

export const pairLeft = new Array<i32>();
export const pairRight = new Array<i32>();
export const pairCounts = new Array<i64>();
const pairStep = new Array<i32>(); // the step in which the pair last appeared somewhere (-1: never)
const pairLastWord = new Array<i32>(); // the last word it appeared in during that step
const pairWords = new Array<i32>(); // how many words it appeared in during that step

// Pair lookup: open addressing over (left, right) packed in u64, + 1 so that 0 means empty.
let keys = new StaticArray<u64>(0);
let values = new StaticArray<i32>(0);
let mask: u32 = 0;

let step: i32 = 0;
const touched = new Array<i32>(); // pairs that appeared this step, in first-appearance order
const appearances = new Array<i32>(); // (pair, word) for each first appearance of a pair in a word this step

// Queue entries, never reused: entry e is (entryCount, pair, its words pool[entryStart, + entryLength)).
const entryCount = new Array<i64>();
const entryPair = new Array<i32>();
const entryStart = new Array<u32>();
const entryLength = new Array<u32>();
export const pool = new Array<i32>(); // words of every entry, appended step after step
const heap = new Array<i32>(); // binary max-heap of entry numbers

export function resetPairs(): void {
  pairLeft.length = 0; pairRight.length = 0; pairCounts.length = 0;
  pairStep.length = 0; pairLastWord.length = 0; pairWords.length = 0;
  keys = new StaticArray<u64>(1 << 12);
  values = new StaticArray<i32>(1 << 12);
  mask = (1 << 12) - 1;
  step = 0;
  touched.length = 0; appearances.length = 0;
  entryCount.length = 0; entryPair.length = 0; entryStart.length = 0; entryLength.length = 0;
  pool.length = 0; heap.length = 0;
}

@inline function slotOf(key: u64, m: u32): u32 {
  return <u32>((key * 0x9e3779b97f4a7c15) >> 40) & m;
}

/** The number of the pair (left, right), created with count 0 when new. */
function pairOf(left: i32, right: i32): i32 {
  const key = ((<u64><u32>left << 32) | <u64><u32>right) + 1;
  let s = slotOf(key, mask);
  while (true) {
    const k = unchecked(keys[s]);
    if (k == key) return unchecked(values[s]);
    if (k == 0) break;
    s = (s + 1) & mask;
  }
  const p = pairLeft.length;
  pairLeft.push(left); pairRight.push(right); pairCounts.push(0);
  pairStep.push(-1); pairLastWord.push(-1); pairWords.push(0);
  unchecked(keys[s] = key);
  unchecked(values[s] = p);
  if (<u32>p * 2 > mask) growPairs();
  return p;
}

function growPairs(): void {
  const cap = (mask + 1) * 2;
  const k2 = new StaticArray<u64>(cap);
  const v2 = new StaticArray<i32>(cap);
  const m = cap - 1;
  for (let i: u32 = 0; i <= mask; i++) {
    const k = unchecked(keys[i]);
    if (k == 0) continue;
    let s = slotOf(k, m);
    while (unchecked(k2[s]) != 0) s = (s + 1) & m;
    unchecked(k2[s] = k);
    unchecked(v2[s] = unchecked(values[i]));
  }
  keys = k2; values = v2; mask = m;
}

/** The pair (left, right) gained (delta 1) or lost (-1) one place in word w, which occurs `count` times. */
export function change(left: i32, right: i32, delta: i32, w: i32, count: u64): void {
  const p = pairOf(left, right);
  unchecked(pairCounts[p] = unchecked(pairCounts[p]) + <i64>delta * <i64>count);
  if (delta <= 0) return;
  if (unchecked(pairStep[p]) != step) {
    unchecked(pairStep[p] = step);
    unchecked(pairWords[p] = 0);
    unchecked(pairLastWord[p] = -1);
    touched.push(p);
  }
  if (unchecked(pairLastWord[p]) != w) { // a word is visited once per step: this keeps each word once
    unchecked(pairLastWord[p] = w);
    unchecked(pairWords[p] = unchecked(pairWords[p]) + 1);
    appearances.push(p);
    appearances.push(w);
  }
}

/** End of a step: queue each pair that appeared, with its current count and the words it appeared in. */
export function endStep(): void {
  // Each touched pair's words go to one range of the pool: starts by a running sum, then scattered.
  const base = <u32>pool.length;
  let at = base;
  for (let i = 0; i < touched.length; i++) {
    const p = unchecked(touched[i]);
    const n = <u32>unchecked(pairWords[p]);
    unchecked(pairLastWord[p] = <i32>at); // reused as the fill position from here on
    at += n;
  }
  pool.length = <i32>at;
  for (let i = 0; i < appearances.length; i += 2) {
    const p = unchecked(appearances[i]);
    const fill = unchecked(pairLastWord[p]);
    unchecked(pool[fill] = unchecked(appearances[i + 1]));
    unchecked(pairLastWord[p] = fill + 1);
  }
  for (let i = 0; i < touched.length; i++) {
    const p = unchecked(touched[i]);
    const n = <u32>unchecked(pairWords[p]);
    const c = unchecked(pairCounts[p]);
    if (c > 0) {
      const e = entryCount.length;
      entryCount.push(c); entryPair.push(p);
      entryStart.push(<u32>unchecked(pairLastWord[p]) - n); entryLength.push(n);
      push(e);
    }
    unchecked(pairLastWord[p] = -1);
  }
  touched.length = 0;
  appearances.length = 0;
  step++;
}

/** Entry a comes out before entry b. */
@inline function before(a: i32, b: i32): bool {
  const ca = unchecked(entryCount[a]);
  const cb = unchecked(entryCount[b]);
  if (ca != cb) return ca > cb;
  const pa = unchecked(entryPair[a]);
  const pb = unchecked(entryPair[b]);
  if (pa != pb) {
    const la = unchecked(pairLeft[pa]);
    const lb = unchecked(pairLeft[pb]);
    return la != lb ? la < lb : unchecked(pairRight[pa]) < unchecked(pairRight[pb]);
  }
  return a < b;
}

export function push(e: i32): void {
  heap.push(e);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const q = unchecked(heap[parent]);
    if (!before(e, q)) break;
    unchecked(heap[i] = q);
    i = parent;
  }
  unchecked(heap[i] = e);
}

/** The first entry, removed; -1 when the queue is empty. */
export function pop(): i32 {
  const n = heap.length;
  if (n == 0) return -1;
  const top = unchecked(heap[0]);
  const last = unchecked(heap[n - 1]);
  heap.length = n - 1;
  const size = n - 1;
  if (size == 0) return top;
  let i = 0;
  while (true) {
    let child = 2 * i + 1;
    if (child >= size) break;
    let c = unchecked(heap[child]);
    if (child + 1 < size) {
      const r = unchecked(heap[child + 1]);
      if (before(r, c)) { child++; c = r; }
    }
    if (!before(c, last)) break;
    unchecked(heap[i] = c);
    i = child;
  }
  unchecked(heap[i] = last);
  return top;
}

@inline export function countOf(e: i32): i64 { return unchecked(entryCount[e]); }
@inline export function setCount(e: i32, c: i64): void { unchecked(entryCount[e] = c); }
@inline export function pairOfEntry(e: i32): i32 { return unchecked(entryPair[e]); }
@inline export function wordsStart(e: i32): i32 { return <i32>unchecked(entryStart[e]); }
@inline export function wordsLength(e: i32): i32 { return <i32>unchecked(entryLength[e]); }
