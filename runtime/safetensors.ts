// safetensors reading and writing (https://huggingface.co/docs/safetensors format): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?: {string: string}}, then the
// raw little-endian tensor bytes. The header is validated strictly, as the format's reference (the Rust
// crate's `validate`) does: the tensors' offsets must cover the data exactly, with no hole before, between or
// after them and no overlap, and every offset must be an exact integer (below 2^53). A corrupt or truncated
// file fails here with an OsteonError naming the file and the reason, never later as wrong numbers. Tensors
// are views into the given bytes (no copy) until converted with `toFloat32` / `toInt32`.
import { OsteonError } from './errors.js';

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const BYTES: Record<DType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 * 1024 * 1024;

export interface StoredTensor {
  name: string;
  dtype: DType;
  shape: number[];
  /** The tensor's raw bytes, a view into the file. */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

/** Refuse a damaged file: `source` names it. */
export function bad(source: string, msg: string): never {
  throw new OsteonError('safetensors', `${source}: ${msg}; download or export the file again`, source);
}

/** Parse a whole safetensors file held in memory. `source` names it in errors. */
export function readSafetensors(file: Uint8Array, source = 'file'): SafetensorsFile {
  const headerLen = safetensorsHeaderLength(file, file.byteLength, source);
  const data = file.subarray(8 + headerLen);
  const { entries, metadata, dataEnd } = parseSafetensorsHeader(file.subarray(8, 8 + headerLen), data.byteLength, source);
  if (dataEnd !== data.byteLength) bad(source, `${data.byteLength - dataEnd} byte(s) follow the last tensor, which ends at data byte ${dataEnd}`);
  const tensors = new Map<string, StoredTensor>();
  for (const e of entries.values()) tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, bytes: data.subarray(e.start, e.end) });
  return { tensors, metadata };
}

/** A tensor as the header describes it: bytes [start, end) of the data that follows the header. */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  start: number;
  end: number;
}

/** The header's byte length from the file's first 8 bytes (`fileSize` bounds it; pass Infinity if unknown).
 *  The data starts at byte 8 + the result. */
export function safetensorsHeaderLength(first8: Uint8Array, fileSize: number, source = 'file'): number {
  if (first8.byteLength < 8) bad(source, `only ${first8.byteLength} bytes; not a safetensors file (truncated?)`);
  const headerLen = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > fileSize) {
    bad(source, `header length ${headerLen} does not fit in the ${fileSize}-byte file (truncated or not safetensors)`);
  }
  return headerLen;
}

/** Validate and parse the JSON header alone, so a large file can be read tensor by tensor. `dataLength` is
 *  the byte count after the header (Infinity when unknown: the caller must then check that the data ends
 *  exactly at `dataEnd`, where the last tensor ends). */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, source = 'file'): { entries: Map<string, TensorEntry>; metadata: Record<string, string>; dataEnd: number } {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    bad(source, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad(source, 'header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries = new Map<string, TensorEntry>();
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad(source, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') bad(source, `__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null || Array.isArray(e)) bad(source, `tensor "${name}" has no description`);
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) bad(source, `tensor "${name}" has unsupported dtype ${JSON.stringify(e.dtype)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(source, `tensor "${name}" has a bad shape ${JSON.stringify(shape)}`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[0] > offsets[1]) {
      bad(source, `tensor "${name}" has bad data_offsets ${JSON.stringify(offsets)} (two integers 0 <= start <= end < 2^53)`);
    }
    const dtype = e.dtype as DType;
    const [start, end] = offsets as [number, number];
    const expected = shape.reduce((a: number, b: number) => a * b, 1) * BYTES[dtype];
    if (!Number.isSafeInteger(expected) || end - start !== expected) bad(source, `tensor "${name}" ${dtype}[${shape}] needs ${expected} bytes, data_offsets give ${end - start}`);
    if (end > dataLength) bad(source, `tensor "${name}" ends at byte ${end} but the data holds ${dataLength} (truncated file)`);
    spans.push([start, end, name]);
    entries.set(name, { name, dtype, shape: shape as number[], start, end });
  }
  // Sorted by start, then end (so empty tensors sit before a tensor starting at the same byte), each tensor
  // must begin exactly where the previous one ended.
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0, previous = '';
  for (const [start, end, name] of spans) {
    if (start < at) bad(source, `tensors "${previous}" and "${name}" overlap (data bytes ${start}-${at})`);
    if (start > at) bad(source, `data bytes ${at}-${start} ${previous ? `between tensors "${previous}" and "${name}"` : `before the first tensor "${name}"`} belong to no tensor`);
    at = end;
    previous = name;
  }
  return { entries, metadata, dataEnd: at };
}

/** The tensor's values as float32 (F32 copied, F16/BF16/F64 converted). */
export function toFloat32(t: StoredTensor): Float32Array {
  const n = t.bytes.byteLength / BYTES[t.dtype];
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    default:
      throw new OsteonError('safetensors', `tensor "${t.name}" is ${t.dtype}, not a floating-point tensor`);
  }
}

/** The tensor's values as int32 (I64 must fit; other integer types widened). */
export function toInt32(t: StoredTensor): Int32Array {
  const size = BYTES[t.dtype];
  const n = t.bytes.byteLength / size;
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    switch (t.dtype) {
      case 'I64': {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) throw new OsteonError('safetensors', `tensor "${t.name}" value ${v} does not fit in int32`);
        out[i] = Number(v);
        break;
      }
      case 'I32': out[i] = view.getInt32(i * 4, true); break;
      case 'I16': out[i] = view.getInt16(i * 2, true); break;
      case 'I8': out[i] = view.getInt8(i); break;
      case 'U8': case 'BOOL': out[i] = view.getUint8(i); break;
      default: throw new OsteonError('safetensors', `tensor "${t.name}" is ${t.dtype}, not an integer tensor`);
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface TensorToWrite {
  /** BF16 and F16 take their raw 2-byte values in a Uint16Array. */
  dtype: 'F32' | 'I64' | 'I32' | 'BF16' | 'F16';
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint16Array;
}

/** x rounded to bfloat16 (ties to even), as its raw 16 bits. */
export function toBfloat16(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** x rounded to IEEE float16 (ties to even; beyond 65504 infinity; subnormals kept), as its raw 16 bits. */
export function toFloat16(x: number): number {
  const f = Math.fround(x);
  const sign = f < 0 || Object.is(f, -0) ? 0x8000 : 0;
  const a = Math.abs(f);
  if (Number.isNaN(a)) return 0x7e00;
  if (a >= 65520) return sign | 0x7c00; // rounds past the largest float16, 65504
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24); // subnormal: multiples of 2^-24 (may round up to 2^-14)
  const exp = Math.floor(Math.log2(a));
  const e = a < 2 ** exp ? exp - 1 : a >= 2 ** (exp + 1) ? exp + 1 : exp; // guard log2 rounding
  const mantissa = roundEven((a / 2 ** e - 1) * 1024); // may carry into the exponent, which the sum absorbs
  return sign | (((e + 15) << 10) + mantissa);
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 ? r - 1 : r;
}

/** Serialise tensors (in the given order) and string metadata to safetensors bytes. */
export function writeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new OsteonError('safetensors', `tensor "${name}" shape [${t.shape}] needs ${n} values, got ${t.data.length}`);
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces to a multiple of 8 bytes so tensor data stays aligned, as other writers do.
  const encoded = new TextEncoder().encode(json);
  const padded = Math.ceil(encoded.byteLength / 8) * 8;
  json += ' '.repeat(padded - encoded.byteLength);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + padded;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
