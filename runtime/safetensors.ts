// safetensors reading and writing (https://huggingface.co/docs/safetensors format): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?: {string: string}}, then the
// raw little-endian tensor bytes. The header is validated strictly: a corrupt or truncated file fails here
// with the reason, never later as wrong numbers. Tensors are views into the given bytes (no copy) until
// converted with `toFloat32` / `toInt32`.

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

function bad(source: string, msg: string): never {
  throw new Error(`[safetensors] ${source}: ${msg}`);
}

/** Parse a whole safetensors file held in memory. `source` names it in errors. */
export function readSafetensors(file: Uint8Array, source = 'file'): SafetensorsFile {
  const headerLen = safetensorsHeaderLength(file, file.byteLength, source);
  const data = file.subarray(8 + headerLen);
  const { entries, metadata } = parseSafetensorsHeader(file.subarray(8, 8 + headerLen), data.byteLength, source);
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
 *  the byte count after the header (Infinity when unknown: reads must then check their own length). */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, source = 'file'): { entries: Map<string, TensorEntry>; metadata: Record<string, string> } {
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
      if (typeof entry !== 'object' || entry === null) bad(source, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') bad(source, `__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) bad(source, `tensor "${name}" has no description`);
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) bad(source, `tensor "${name}" has unsupported dtype ${JSON.stringify(e.dtype)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) bad(source, `tensor "${name}" has a bad shape ${JSON.stringify(shape)}`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0) || offsets[0] > offsets[1]) {
      bad(source, `tensor "${name}" has bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const dtype = e.dtype as DType;
    const [start, end] = offsets as [number, number];
    const expected = shape.reduce((a: number, b: number) => a * b, 1) * BYTES[dtype];
    if (end - start !== expected) bad(source, `tensor "${name}" ${dtype}[${shape}] needs ${expected} bytes, data_offsets give ${end - start}`);
    if (end > dataLength) bad(source, `tensor "${name}" ends at byte ${end} but the data holds ${dataLength} (truncated file)`);
    spans.push([start, end, name]);
    entries.set(name, { name, dtype, shape: shape as number[], start, end });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) bad(source, `tensors "${spans[i - 1][2]}" and "${spans[i][2]}" overlap`);
  }
  return { entries, metadata };
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
      throw new Error(`[safetensors] tensor "${t.name}" is ${t.dtype}, not a floating-point tensor`);
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
        if (v > 2147483647n || v < -2147483648n) throw new Error(`[safetensors] tensor "${t.name}" value ${v} does not fit in int32`);
        out[i] = Number(v);
        break;
      }
      case 'I32': out[i] = view.getInt32(i * 4, true); break;
      case 'I16': out[i] = view.getInt16(i * 2, true); break;
      case 'I8': out[i] = view.getInt8(i); break;
      case 'U8': case 'BOOL': out[i] = view.getUint8(i); break;
      default: throw new Error(`[safetensors] tensor "${t.name}" is ${t.dtype}, not an integer tensor`);
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
  dtype: 'F32' | 'I64' | 'I32';
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

/** Serialise tensors (in the given order) and string metadata to safetensors bytes. */
export function writeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`[safetensors] tensor "${name}" shape [${t.shape}] needs ${n} values, got ${t.data.length}`);
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
