// Normalizers, run in TypeScript on each segment between added tokens (as the reference normalizes each
// split separately): Unicode forms through String.prototype.normalize, Replace, Prepend, Lowercase, Strip.
// It deliberately tracks no offsets: osteon returns ids only.
import type { NormalizerStep } from './config.js';

const WHITE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;
const LEADING = /^\p{White_Space}+/u;
const TRAILING = /\p{White_Space}+$/u;

/** Lowercase character by character, as the reference does (no final-sigma context, unlike toLowerCase). */
function lowercase(text: string): string {
  if (!text.includes('\u03a3')) return text.toLowerCase();
  let out = '';
  for (const ch of text) out += ch === '\u03a3' ? '\u03c3' : ch.toLowerCase();
  return out;
}

export function normalize(text: string, steps: NormalizerStep[]): string {
  for (const step of steps) {
    switch (step.kind) {
      case 'unicode': text = text.normalize(step.form); break;
      case 'lowercase': text = lowercase(text); break;
      case 'replace': text = text.replaceAll(step.pattern, step.content); break;
      case 'prepend': if (text.length > 0) text = step.prepend + text; break;
      case 'strip':
        if (step.left && step.right) text = text.replace(WHITE_SPACE, '');
        else if (step.left) text = text.replace(LEADING, '');
        else if (step.right) text = text.replace(TRAILING, '');
        break;
    }
  }
  return text;
}
