// How one kernel call is shared among threads (runtime/wasm/threads.ts): the call is cut into `chunks`
// contiguous slices of some index range, cut at multiples of `align` so that SIMD tiles never straddle two
// slices, and threads take chunks one at a time until none is left (so a thread the OS delays simply takes
// fewer). Every shared kernel takes (chunk, chunks, thread) last: the slice to do, and the thread doing it,
// which picks that thread's own scratch. chunks = 1, thread = 0 is the single-threaded path.

/** First index of `chunk`'s slice of [0, total); the slice ends where chunk + 1's begins. */
export function partStart(total: i32, chunk: i32, chunks: i32, align: i32): i32 {
  const units = (total + align - 1) / align;
  const start = <i32>((<i64>units * chunk) / chunks) * align;
  return start < total ? start : total;
}
