// The compact binary form of a tokenizer: what loading a tokenizer.json computes (the plan, the vocabulary
// as bytes, merges as id triples), stored so that a later load is a few array copies instead of a JSON parse
// of megabytes. Little-endian; layout:
//   "OSTKBIN1" | u32 header bytes | header JSON (UTF-8, padded to 4) | sections, each u32 bytes + data (padded to 4)
// Sections, in order: blob, offsets, ids, merges, byteIds, fallbackIds (the ModelArrays), then the
// vocabulary text (UTF-8), its starts and ids (the Vocabulary).
// It deliberately has no compatibility promise across osteon versions: the magic names the layout, and a file
// of another layout is refused with the advice to convert again from tokenizer.json.
import type { TokenizerPlan } from './config.js';
import type { ModelArrays } from './model.js';
import { Vocabulary } from './vocab.js';
import { TokenizerError } from './json.js';

const MAGIC = 'OSTKBIN1';

export function isBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(...bytes.subarray(0, 6)) === MAGIC.slice(0, 6);
}

const pad4 = (n: number) => (n + 3) & ~3;

export function toBinary(plan: TokenizerPlan, arrays: ModelArrays): Uint8Array {
  const { vocab, merges: _merges, ...modelRest } = plan.model;
  const header = new TextEncoder().encode(JSON.stringify({ ...plan, model: modelRest }));
  const vocabText = new TextEncoder().encode(vocab.text);
  const sections: ArrayBufferView[] = [
    arrays.blob, arrays.offsets, arrays.ids, arrays.merges, arrays.byteIds, arrays.fallbackIds,
    vocabText, vocab.starts, vocab.ids,
  ];
  const size = 8 + 4 + pad4(header.length) + sections.reduce((n, s) => n + 4 + pad4(s.byteLength), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  let at = 12 + pad4(header.length);
  for (const s of sections) {
    view.setUint32(at, s.byteLength, true);
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), at + 4);
    at += 4 + pad4(s.byteLength);
  }
  return out;
}

export function fromBinary(bytes: Uint8Array): { plan: TokenizerPlan; arrays: ModelArrays } {
  const bad = (why: string): never => {
    throw new TokenizerError(`binary tokenizer: ${why}; convert the tokenizer.json again (osteon tokenize --tokenizer tokenizer.json --write-binary OUT)`);
  };
  if (String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) bad(`not an ${MAGIC} file`);
  // Copy to an aligned buffer so typed arrays can view it in place.
  const data = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerBytes = view.getUint32(8, true);
  if (12 + headerBytes > data.length) bad('truncated header');
  const header = JSON.parse(new TextDecoder().decode(data.subarray(12, 12 + headerBytes)));
  let at = 12 + pad4(headerBytes);
  const next = (): Uint8Array => {
    if (at + 4 > data.length) bad('truncated');
    const n = view.getUint32(at, true);
    if (at + 4 + n > data.length) bad('truncated');
    const s = data.subarray(at + 4, at + 4 + n);
    at += 4 + pad4(n);
    return s;
  };
  const u32 = (s: Uint8Array) => new Uint32Array(s.buffer, s.byteOffset, s.byteLength / 4);
  const i32 = (s: Uint8Array) => new Int32Array(s.buffer, s.byteOffset, s.byteLength / 4);
  const arrays: ModelArrays = {
    blob: next(), offsets: u32(next()), ids: i32(next()), merges: i32(next()), byteIds: i32(next()), fallbackIds: i32(next()),
  };
  const vocab = new Vocabulary(next(), u32(next()), i32(next()));
  return { plan: { ...header, model: { ...header.model, vocab, merges: null } } as TokenizerPlan, arrays };
}
