// GPT-2's byte-level alphabet: every byte as one printable character, so byte-level vocabularies are text.
// Printable Latin-1 bytes map to themselves; the other 68 bytes to U+0100.. in byte order.
// It deliberately covers only the mapping; vocab.ts and decode.ts apply it.

/** BYTE_CHAR[b] = the character code standing for byte b. */
export const BYTE_CHAR = new Uint16Array(256);
/** CHAR_BYTE[c] = the byte that character code c stands for, or -1; [324] covers the whole alphabet. */
export const CHAR_BYTE = new Int16Array(324).fill(-1);

const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
let shifted = 0;
for (let b = 0; b < 256; b++) {
  const c = printable(b) ? b : 256 + shifted++;
  BYTE_CHAR[b] = c;
  CHAR_BYTE[c] = b;
}

/** The bytes a byte-level token stands for, or null if it holds a character outside the alphabet. */
export function tokenBytes(token: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < 324 ? CHAR_BYTE[c] : -1;
    if (b < 0) return -1;
    out[at + i] = b;
  }
  return token.length;
}
