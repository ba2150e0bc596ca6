// The BPE model's lookup tables in linear memory, filled once at load from TypeScript:
// - vocab: token bytes -> id (open addressing; entry = [hash u32, index i32] into the caller's arrays),
// - merges: (left id, right id) -> (rank, merged id), keys and values packed in u64,
// - byte tables: id of each single byte (byte-level), id of each <0xXX> token (byte fallback).
// It deliberately stores no strings: TypeScript maps token text to bytes (byte-level alphabet or UTF-8).

export const EMPTY_PAIR: u64 = 0xffffffffffffffff;

/**
 * Bytes from the bump allocator. The stub runtime never frees, so every block is fresh memory, all zeros:
 * the hash tables below use 0 as "empty" and need no clearing. Tables live as long as the instance.
 */
export function alloc(bytes: usize): usize {
  // 8 spare bytes: hashBytes reads whole words, up to 7 bytes past the end of a token.
  return heap.alloc(((bytes + 7) & ~7) + 8);
}

/** A hash of [p, p + n), 8 bytes at a time (the tail word masked to the bytes inside). */
@inline export function hashBytes(p: usize, n: usize): u32 {
  let h: u64 = <u64>n * 0x9e3779b97f4a7c15;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) h = (h ^ load<u64>(p + i)) * 0xff51afd7ed558ccd;
  if (i < n) h = (h ^ (load<u64>(p + i) & ((<u64>1 << (<u64>(n - i) << 3)) - 1))) * 0xff51afd7ed558ccd;
  return <u32>(h >> 32) ^ <u32>h;
}

export function bytesEqual(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/** A power of two at least 1.5 x count: open addressing with linear probing stays short at that load. */
function capacityFor(count: i32): u32 {
  let cap: u32 = 16;
  while (cap < <u32>count + (<u32>count >> 1)) cap <<= 1;
  return cap;
}

// ---- vocab: blob [total bytes], offsets [count + 1] u32, ids [count] i32
let vBlob: usize = 0;
let vOffsets: usize = 0;
let vIds: usize = 0;
let vSlots: usize = 0; // [cap] x (hash u32, index + 1 u32), 0 = empty
let vMask: u32 = 0;

export function buildVocab(blob: usize, offsets: usize, ids: usize, count: i32): void {
  vBlob = blob; vOffsets = offsets; vIds = ids;
  const cap = capacityFor(count);
  vMask = cap - 1;
  vSlots = alloc(<usize>cap * 8);
  for (let i = 0; i < count; i++) {
    const start = <usize>load<u32>(offsets + <usize>i * 4);
    const n = <usize>load<u32>(offsets + <usize>i * 4, 4) - start;
    const h = hashBytes(blob + start, n);
    let s = h & vMask;
    while (load<u32>(vSlots + <usize>s * 8, 4) != 0) s = (s + 1) & vMask;
    store<u32>(vSlots + <usize>s * 8, h);
    store<u32>(vSlots + <usize>s * 8, i + 1, 4);
  }
}

/** Id of the token whose bytes are [p, p + n), or -1. */
export function vocabFind(p: usize, n: usize): i32 {
  const h = hashBytes(p, n);
  let s = h & vMask;
  while (true) {
    const slot = vSlots + <usize>s * 8;
    const i = <i32>load<u32>(slot, 4) - 1;
    if (i < 0) return -1;
    if (load<u32>(slot) == h) {
      const start = <usize>load<u32>(vOffsets + <usize>i * 4);
      const len = <usize>load<u32>(vOffsets + <usize>i * 4, 4) - start;
      if (len == n && bytesEqual(vBlob + start, p, n)) return load<i32>(vIds + <usize>i * 4);
    }
    s = (s + 1) & vMask;
  }
}

// ---- merges: triples [count] x (left i32, right i32, merged i32), in rank order
let mKeys: usize = 0; // [cap] u64 (left << 32 | right) + 1, 0 = empty (ids are below 2^31: no overflow)
let mValues: usize = 0; // [cap] u64 (rank << 32 | merged)
let mMask: u32 = 0;
let mBits: u64 = 0;

@inline function pairSlot(key: u64): u32 {
  return <u32>((key * 0x9e3779b97f4a7c15) >> (64 - mBits)) & mMask;
}

export function buildMerges(triples: usize, count: i32): void {
  const cap = capacityFor(count);
  mMask = cap - 1;
  mBits = <u64>(32 - clz(cap - 1));
  mKeys = alloc(<usize>cap * 8);
  mValues = alloc(<usize>cap * 8);
  for (let r = 0; r < count; r++) {
    const t = triples + <usize>r * 12;
    const key = ((<u64>load<u32>(t) << 32) | <u64>load<u32>(t, 4)) + 1;
    let s = pairSlot(key);
    while (true) {
      const k = load<u64>(mKeys + <usize>s * 8);
      if (k == 0) break;
      if (k == key) break; // a repeated merge keeps its later rank, as a map insert does
      s = (s + 1) & mMask;
    }
    store<u64>(mKeys + <usize>s * 8, key);
    store<u64>(mValues + <usize>s * 8, (<u64>r << 32) | <u64>load<u32>(t, 8));
  }
}

/** (rank << 32 | merged id) of the pair, or EMPTY_PAIR. */
@inline export function mergeOf(left: i32, right: i32): u64 {
  const key = ((<u64><u32>left << 32) | <u64><u32>right) + 1;
  let s = pairSlot(key);
  while (true) {
    const k = load<u64>(mKeys + <usize>s * 8);
    if (k == key) return load<u64>(mValues + <usize>s * 8);
    if (k == 0) return EMPTY_PAIR;
    s = (s + 1) & mMask;
  }
}

// ---- single-byte tables, [256] i32 each, -1 where the vocabulary lacks the token
export const byteIds = alloc(256 * 4);
export const fallbackIds = alloc(256 * 4);
