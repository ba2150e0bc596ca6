// Splits text around added tokens, as the reference's added vocabulary does: leftmost-longest matches,
// `single_word` (no word character touching either side, else the match is dropped), `lstrip`/`rstrip`
// (the token swallows adjacent White_Space). One AddedTokenSplitter per set of tokens: the reference matches
// tokens with normalized=false on the raw text and those with normalized=true on each normalized segment.
// Candidates are found by first character (a character-class scan), then looked up by length, longest first.
// It deliberately does not encode the segments between tokens; the caller does.
import type { AddedToken } from './config.js';

const SPACE = /\p{White_Space}/u; // all White_Space characters are in the BMP: one code unit each
const SPACE_RUN = /\p{White_Space}+/uy;
const WORD_BEFORE = /[\p{Alphabetic}\p{N}_]$/u;
const WORD_AFTER = /^[\p{Alphabetic}\p{N}_]/u;

/** A piece of the input: an added token's id, or text still to encode (`start` = its offset in the input). */
export type Piece = { id: number } | { text: string; start: number };

export class AddedTokenSplitter {
  private readonly firsts: RegExp | null; // any first code unit of a token
  private readonly byText = new Map<string, AddedToken>();
  private readonly lengths = new Map<number, number[]>(); // first code unit -> token lengths, longest first

  /** `form` gives the text a token matches: its content, or for normalized tokens its normalized content. */
  constructor(tokens: AddedToken[], form: (content: string) => string = (c) => c) {
    for (const t of tokens) {
      const text = form(t.content);
      if (text.length > 0) this.byText.set(text, { ...t, content: text });
    }
    for (const text of this.byText.keys()) {
      const c = text.charCodeAt(0);
      const list = this.lengths.get(c) ?? [];
      if (!list.includes(text.length)) list.push(text.length);
      this.lengths.set(c, list.sort((a, b) => b - a));
    }
    const escape = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
    this.firsts = this.lengths.size > 0 ? new RegExp(`[${[...this.lengths.keys()].map(escape).join('')}]`, 'g') : null;
  }

  /** The longest token at `at`, or undefined: one map look-up per distinct token length. */
  private tokenAt(text: string, at: number): AddedToken | undefined {
    for (const n of this.lengths.get(text.charCodeAt(at)) ?? []) {
      const token = at + n <= text.length ? this.byText.get(text.slice(at, at + n)) : undefined;
      if (token !== undefined) return token;
    }
    return undefined;
  }

  /** Pieces of `text` in order; text pieces are non-empty. */
  split(text: string, out: Piece[] = []): Piece[] {
    let done = 0; // end of the last piece emitted
    const re = this.firsts;
    if (re !== null) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        let start = m.index;
        const token = this.tokenAt(text, start);
        if (token === undefined) continue;
        let stop = start + token.content.length;
        re.lastIndex = stop;
        // Two code units hold any one code point next to the match.
        if (token.singleWord && (WORD_BEFORE.test(text.slice(Math.max(0, start - 2), start)) || WORD_AFTER.test(text.slice(stop, stop + 2)))) continue;
        if (token.lstrip) while (start > done && SPACE.test(text[start - 1])) start--;
        if (token.rstrip) {
          SPACE_RUN.lastIndex = stop;
          if (SPACE_RUN.test(text)) stop = re.lastIndex = SPACE_RUN.lastIndex;
        }
        if (done < start) out.push({ text: text.slice(done, start), start: done });
        out.push({ id: token.id });
        done = stop;
      }
    }
    if (done < text.length) out.push({ text: text.slice(done), start: done });
    return out;
  }
}
