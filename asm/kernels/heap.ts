// Allocator for tensor buffers in linear memory: first-fit over an address-ordered free list, neighbours
// coalesced on free, the top of the heap bumped (and memory grown) when nothing fits. Every block is a
// multiple of 64 bytes with a 64-byte header, so every payload is 64-byte aligned (cache lines, v128).
// It deliberately does not check its callers: pointers come only from the TypeScript edge
// (runtime/wasm/backend.ts), which frees each block it owns exactly once and reports a 0 as out of memory.

const HEADER: usize = 64;
const PAGE: u64 = 65536;
// wasm32 addresses are 32-bit; stopping one page short of 4 GiB keeps every block end representable in usize.
const MAX_PAGES: i32 = 65535;

// Header words: total block bytes (header included) and, while free, the next free block (0 ends the list).
@inline function sizeOf(block: usize): usize { return load<usize>(block); }
@inline function nextOf(block: usize): usize { return load<usize>(block, 4); }
@inline function setSize(block: usize, v: usize): void { store<usize>(block, v); }
@inline function setNext(block: usize, v: usize): void { store<usize>(block, v, 4); }

let top: usize = (__heap_base + HEADER - 1) & ~(HEADER - 1);
let freeList: usize = 0;

/** A 64-byte aligned buffer of at least `bytes` bytes, or 0 when linear memory cannot hold it. */
export function alloc(bytes: usize): usize {
  const need64 = ((<u64>bytes + <u64>(2 * HEADER - 1)) & ~<u64>(HEADER - 1));
  if (need64 > <u64>MAX_PAGES * PAGE) return 0;
  const need = <usize>need64;
  let prev: usize = 0;
  let block = freeList;
  while (block != 0) {
    const size = sizeOf(block);
    if (size >= need) {
      let rest = nextOf(block);
      if (size - need >= 2 * HEADER) {
        // Split: the tail stays free in the same list position.
        const tail = block + need;
        setSize(tail, size - need);
        setNext(tail, rest);
        setSize(block, need);
        rest = tail;
      }
      link(prev, rest);
      return block + HEADER;
    }
    prev = block;
    block = nextOf(block);
  }
  const end = <u64>top + need64;
  const have = <u64>memory.size() * PAGE;
  if (end > have) {
    const pages = <i32>((end - have + PAGE - 1) / PAGE);
    if (memory.size() + pages > MAX_PAGES || memory.grow(pages) < 0) return 0;
  }
  block = top;
  setSize(block, need);
  top = <usize>end;
  return block + HEADER;
}

/** Return a buffer from `alloc` to the free list. */
export function free(ptr: usize): void {
  let block = ptr - HEADER;
  let before: usize = 0; // predecessor of prev in the list
  let prev: usize = 0;
  let next = freeList;
  while (next != 0 && next < block) {
    before = prev;
    prev = next;
    next = nextOf(next);
  }
  // Merge with the following free block, then with the preceding one.
  if (next != 0 && block + sizeOf(block) == next) {
    setSize(block, sizeOf(block) + sizeOf(next));
    next = nextOf(next);
  }
  if (prev != 0 && prev + sizeOf(prev) == block) {
    setSize(prev, sizeOf(prev) + sizeOf(block));
    block = prev;
    prev = before;
  }
  if (block + sizeOf(block) == top) {
    // The last block goes back to the bump region (memory itself never shrinks); nothing follows it.
    top = block;
    link(prev, 0);
  } else {
    setNext(block, next);
    link(prev, block);
  }
}

/** Make `block` the successor of `prev` (the list head when prev is 0). */
@inline function link(prev: usize, block: usize): void {
  if (prev == 0) freeList = block; else setNext(prev, block);
}
