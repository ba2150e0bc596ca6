// Pre-tokenization as a pipeline of split stages, each a scanner (scan.ts) plus the reference's split
// behaviour (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous) and `invert`; the pieces of
// the last stage go to the BPE model, or to the trainer's word counter while counting. Each stage splits each piece of the stage before it, so a scanner's
// lookahead ends at the piece's end, as in the reference's Sequence of pre-tokenizers.
// It deliberately keeps no list of pieces: chunks stream through a pending-piece state per stage.
import { matchAt } from './scan';
import { encodeWord } from './bpe';
import { countWord } from './train-words';
import { charLen, flagsAt } from './unicode';

import { ISOLATED, MAX_STAGES, MERGED_WITH_NEXT, MERGED_WITH_PREVIOUS, REMOVED, WHOLE } from './kinds';
let stages = 0;
const kinds = new StaticArray<i32>(MAX_STAGES);
const behaviors = new StaticArray<i32>(MAX_STAGES);
const inverts = new StaticArray<bool>(MAX_STAGES);
// Pending piece per stage: [pendingStart, pendingEnd), pendingStart 0 = none; for Contiguous, whether it is
// a run of delimiters.
const pendingStart = new StaticArray<usize>(MAX_STAGES);
const pendingEnd = new StaticArray<usize>(MAX_STAGES);
const pendingDelimiter = new StaticArray<bool>(MAX_STAGES);

/** Whether the last stage's pieces are counted as training words instead of encoded. */
let counting = false;
export function setCounting(on: bool): void { counting = on; }

export function clearStages(): void { stages = 0; }

export function addStage(kind: i32, behavior: i32, invert: bool): void {
  if (stages == MAX_STAGES) throw new Error('too many pre-tokenizer stages');
  unchecked(kinds[stages] = kind);
  unchecked(behaviors[stages] = behavior);
  unchecked(inverts[stages] = invert);
  stages++;
}

/** Split [start, end) by stage s and pass every piece on. */
export function splitStage(s: i32, start: usize, end: usize): void {
  if (s == stages) {
    if (counting) countWord(start, end); else encodeWord(start, end);
    return;
  }
  const kind = unchecked(kinds[s]);
  if (kind == WHOLE) { splitStage(s + 1, start, end); return; }
  const invert = unchecked(inverts[s]);
  unchecked(pendingStart[s] = 0);
  let gap = start;
  let p = start;
  while (p < end) {
    const e = matchAt(kind, p, end);
    if (e == 0) { flagsAt(p); p += charLen; continue; }
    if (gap < p) chunk(s, gap, p, invert);
    chunk(s, p, e, !invert);
    p = e;
    gap = e;
  }
  if (gap < end) chunk(s, gap, end, invert);
  flush(s);
}

function flush(s: i32): void {
  const a = unchecked(pendingStart[s]);
  if (a != 0) { unchecked(pendingStart[s] = 0); splitStage(s + 1, a, unchecked(pendingEnd[s])); }
}

function hold(s: i32, a: usize, b: usize): void {
  unchecked(pendingStart[s] = a);
  unchecked(pendingEnd[s] = b);
}

/** One chunk [a, b) of stage s; `delimiter` chunks are the ones the behaviour acts on. */
function chunk(s: i32, a: usize, b: usize, delimiter: bool): void {
  const behavior = unchecked(behaviors[s]);
  if (behavior == ISOLATED) { splitStage(s + 1, a, b); return; }
  if (behavior == REMOVED) { if (!delimiter) splitStage(s + 1, a, b); return; }
  const held = unchecked(pendingStart[s]);
  if (behavior == MERGED_WITH_PREVIOUS) {
    // Held: the last non-delimiter, which one following delimiter joins.
    if (delimiter) {
      if (held != 0) { unchecked(pendingStart[s] = 0); splitStage(s + 1, held, b); } else splitStage(s + 1, a, b);
    } else { flush(s); hold(s, a, b); }
  } else if (behavior == MERGED_WITH_NEXT) {
    // Held: the last delimiter, which joins the non-delimiter right after it.
    if (delimiter) { flush(s); hold(s, a, b); }
    else if (held != 0) { unchecked(pendingStart[s] = 0); splitStage(s + 1, held, b); } else splitStage(s + 1, a, b);
  } else { // CONTIGUOUS: adjacent chunks of the same kind join (non-delimiters are adjacent only when inverted)
    if (held != 0 && unchecked(pendingDelimiter[s]) == delimiter) unchecked(pendingEnd[s] = b);
    else { flush(s); hold(s, a, b); unchecked(pendingDelimiter[s] = delimiter); }
  }
}
