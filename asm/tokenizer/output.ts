// The output id buffer: encode appends here; TypeScript reads [outPointer(), outPointer() + 4 * outCount()).
// It deliberately grows only on reserveOut(), called by TypeScript before each segment with a bound on the ids
// that segment can produce (one per UTF-8 byte at most), so pushId never checks capacity.
import { alloc } from './tables';

let buffer: usize = 0; // [capacity] i32
let capacity: usize = 0;
let count: usize = 0;

export function reserveOut(extra: usize): usize {
  if (count + extra > capacity) {
    const grown = max(count + extra, capacity * 2);
    const fresh = alloc(grown * 4);
    if (count > 0) memory.copy(fresh, buffer, count * 4);
    buffer = fresh;
    capacity = grown;
  }
  return buffer;
}

@inline export function pushId(id: i32): void {
  store<i32>(buffer + (count++ << 2), id);
}

/** Append n ids from memory at p. */
@inline export function pushIds(p: usize, n: usize): void {
  memory.copy(buffer + (count << 2), p, n << 2);
  count += n;
}

export function resetOut(): void { count = 0; }
export function outPointer(): usize { return buffer; }
export function outCount(): usize { return count; }

/** Append one id (an added token's, from TypeScript). */
export function appendId(id: i32): void {
  reserveOut(1);
  pushId(id);
}
