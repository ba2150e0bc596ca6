// Decoders: the reference's decode chain over token strings (ByteLevel, Metaspace, Replace, ByteFallback,
// Fuse, Strip), ending in one string. Invalid UTF-8 becomes U+FFFD as the reference's lossy conversion does:
// TextDecoder replaces each maximal invalid subsequence, like Rust's String::from_utf8_lossy.
// It deliberately works on strings, not ids: the caller maps ids to tokens and drops skipped specials.
import type { DecoderStep } from './config.js';
import { CHAR_BYTE } from './byte-level.js';

const utf8 = new TextDecoder('utf-8');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;

function byteLevel(tokens: string[]): string[] {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const token of tokens) {
    let bytes = new Uint8Array(token.length);
    for (let i = 0; i < token.length; i++) {
      const c = token.charCodeAt(i);
      const b = c < CHAR_BYTE.length ? CHAR_BYTE[c] : -1;
      if (b < 0) { bytes = encoder.encode(token); break; } // outside the alphabet: the token's own UTF-8
      bytes[i] = b;
    }
    parts.push(bytes);
    total += bytes.length;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return [utf8.decode(all)];
}

/** Runs of <0xXX> tokens become their UTF-8 text; an invalid run gives one U+FFFD per byte. */
function byteFallback(tokens: string[]): string[] {
  const out: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const bytes = Uint8Array.from(run);
    try {
      out.push(strictUtf8.decode(bytes));
    } catch {
      out.push('\ufffd'.repeat(run.length));
    }
    run = [];
  };
  for (const token of tokens) {
    const m = BYTE_TOKEN.exec(token);
    if (m) { run.push(parseInt(m[1], 16)); continue; }
    flush();
    out.push(token);
  }
  flush();
  return out;
}

function strip(token: string, content: string, start: number, stop: number): string {
  const chars = [...token];
  let a = 0;
  let b = chars.length;
  while (a < start && a < b && chars[a] === content) a++;
  while (chars.length - b < stop && b > a && chars[b - 1] === content) b--;
  return chars.slice(a, b).join('');
}

export function decodeTokens(tokens: string[], steps: DecoderStep[] | null): string {
  if (steps === null) return tokens.join(' ');
  for (const step of steps) {
    switch (step.kind) {
      case 'byteLevel': tokens = byteLevel(tokens); break;
      case 'byteFallback': tokens = byteFallback(tokens); break;
      case 'fuse': tokens = [tokens.join('')]; break;
      case 'replace': tokens = tokens.map((t) => t.replaceAll(step.pattern, step.content)); break;
      case 'strip': tokens = tokens.map((t) => strip(t, step.content, step.start, step.stop)); break;
      case 'metaspace':
        // The first token loses its replacement characters when a prefix was added; the others get spaces.
        tokens = tokens.map((t, i) => t.replaceAll(step.replacement, i === 0 && step.prependScheme !== 'never' ? '' : ' '));
        break;
    }
  }
  return tokens.join('');
}
