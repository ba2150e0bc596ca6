// The WebAssembly side of one tokenizer: an instance of build/tokenizer.wasm holding the BPE tables
// (vocabulary as bytes, merges, byte and byte-fallback ids) and the pre-tokenizer stages, plus the calls
// that encode one UTF-8 segment. One instance per tokenizer: its linear memory is its own.
// It deliberately knows nothing of added tokens, normalizers or templates (see tokenizer.ts).
import wasmBytes from '../../build/tokenizer.wasm';
import type { instantiate as instantiateTypes } from '../../build/tokenizer.js';
import type { ModelPlan, PreTokenizerPlan } from './config.js';
import { tokenBytes } from './byte-level.js';
import { TokenizerError } from './json.js';

/** build/tokenizer.wasm's exports (asm/tokenizer/index.ts), typed by the compiler's generated declarations. */
type Exports = Awaited<ReturnType<typeof instantiateTypes>>;

let compiled: WebAssembly.Module | null = null;

/** A fresh instance of the tokenizer module (compiled once per process). */
export function instantiate(): Exports {
  compiled ??= new WebAssembly.Module(wasmBytes as Uint8Array<ArrayBuffer>);
  const abort = (): never => { throw new TokenizerError('the WebAssembly tokenizer aborted (out of memory?)'); };
  return new WebAssembly.Instance(compiled, { env: { abort } }).exports as unknown as Exports;
}

/** The compact arrays the WebAssembly tables are built from; what tokenizer.json holds, as bytes. */
export interface ModelArrays {
  blob: Uint8Array; // [B] token bytes, concatenated
  offsets: Uint32Array; // [V + 1] token t = blob[offsets[t], offsets[t + 1])
  ids: Int32Array; // [V]
  merges: Int32Array; // [M * 3] (left id, right id, merged id) in rank order
  byteIds: Int32Array; // [256] byte-level: id of each byte's token, -1 if none
  fallbackIds: Int32Array; // [256] id of each <0xXX> token, -1 if none
}

const BYTE_TOKEN = /^<0x[0-9A-F]{2}>$/;

const utf8 = new TextEncoder();

/** Vocabulary and merges as arrays: byte-level tokens through the byte alphabet, others as UTF-8. */
export function modelArrays(model: ModelPlan, byteLevel: boolean): ModelArrays {
  const { vocab } = model;
  const byteIds = new Int32Array(256).fill(-1);
  const fallbackIds = new Int32Array(256).fill(-1);
  const blob = new Uint8Array(vocab.text.length * (byteLevel ? 1 : 3));
  const offsets = new Uint32Array(vocab.count + 1);
  const keptIds = new Int32Array(vocab.count);
  let at = 0;
  let kept = 0;
  for (let i = 0; i < vocab.count; i++) {
    const token = vocab.token(i);
    const n = byteLevel ? tokenBytes(token, blob, at) : utf8.encodeInto(token, blob.subarray(at)).written;
    if (n < 0) continue; // a byte-level vocabulary entry outside the alphabet: no byte string can reach it
    if (byteLevel && n === 1) byteIds[blob[at]] = vocab.ids[i];
    if (token.length === 6 && BYTE_TOKEN.test(token)) fallbackIds[parseInt(token.slice(3, 5), 16)] = vocab.ids[i];
    offsets[kept] = at;
    keptIds[kept++] = vocab.ids[i];
    at += n;
    offsets[kept] = at;
  }
  return {
    blob: blob.subarray(0, at), offsets: offsets.subarray(0, kept + 1), ids: keptIds.subarray(0, kept),
    merges: model.merges ?? new Int32Array(0), byteIds, fallbackIds,
  };
}

/** The model flags the WebAssembly side needs besides the arrays. */
export interface ModelFlags {
  byteLevel: boolean; ignoreMerges: boolean; byteFallback: boolean; fuseUnk: boolean; unkId: number;
  prefix: string; suffix: string; // subword affixes, '' if none
}

export class WasmModel {
  private readonly x: Exports;
  private readonly affixBytes: [number, number];

  constructor(arrays: ModelArrays, flags: ModelFlags, pre: PreTokenizerPlan) {
    const x = (this.x = instantiate());
    const copy = (data: Uint8Array | Uint32Array | Int32Array): number => {
      const ptr = x.alloc(Math.max(data.byteLength, 8));
      new Uint8Array(x.memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return ptr;
    };
    x.buildVocab(copy(arrays.blob), copy(arrays.offsets), copy(arrays.ids), arrays.ids.length);
    const triples = copy(arrays.merges);
    x.buildMerges(triples, arrays.merges.length / 3);
    new Int32Array(x.memory.buffer, x.byteIds.value, 256).set(arrays.byteIds);
    new Int32Array(x.memory.buffer, x.fallbackIds.value, 256).set(arrays.fallbackIds);
    x.configure(flags.byteLevel, flags.ignoreMerges, flags.byteFallback, flags.unkId, flags.fuseUnk);
    const affix = (text: string, field: string) => {
      const bytes = new Uint8Array(text.length * 3);
      const n = flags.byteLevel ? tokenBytes(text, bytes, 0) : utf8.encodeInto(text, bytes).written;
      if (n < 0) throw new TokenizerError(`tokenizer.json: model.${field} ${JSON.stringify(text)} is not in the byte-level alphabet; fix the file`, 'tokenizer.json');
      return bytes.subarray(0, n);
    };
    const prefix = affix(flags.prefix, 'continuing_subword_prefix');
    const suffix = affix(flags.suffix, 'end_of_word_suffix');
    this.affixBytes = [prefix.length, suffix.length];
    x.setAffixes(copy(prefix), prefix.length, copy(suffix), suffix.length);
    x.clearStages();
    for (const s of pre.stages) x.addStage(s.scanner, s.behavior, s.invert);
  }

  /** Start a new id sequence. */
  reset(): void { this.x.resetOut(); }

  /** Append an id (an added token's). */
  push(id: number): void { this.x.appendId(id); }

  /**
   * Pre-tokenize and encode one segment of text, appending its ids. With `metaspace` >= 0 the text's spaces
   * become U+2581 first, and 1 (always) or 2 (unless it starts with one) puts one in front (see
   * spacesToMetaspace in asm/tokenizer/index.ts): the SentencePiece normalization without a JS string copy.
   */
  encode(text: string, metaspace = -1): void {
    const x = this.x;
    const capacity = text.length * 3 + 3; // UTF-8 bytes per UTF-16 code unit, at most; a space grows to 3
    const ptr = x.inputBuffer(capacity);
    let { written } = utf8.encodeInto(text, new Uint8Array(x.memory.buffer, ptr, capacity));
    if (metaspace >= 0) written = x.spacesToMetaspace(written, metaspace);
    // At most one id per byte, unless byte fallback spells out affixes too.
    const [prefixBytes, suffixBytes] = this.affixBytes;
    x.reserveOut(written * (1 + prefixBytes) + suffixBytes);
    x.encodeSegment(written);
  }

  /** The ids since reset(), copied out. */
  ids(): Int32Array {
    return new Int32Array(this.x.memory.buffer, this.x.outPointer(), this.x.outCount()).slice();
  }
}
