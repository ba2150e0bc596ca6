// The one error type osteon throws for bad input and for failures it can explain: the message starts with
// the component in brackets and names the bad value and the fix (the house style); the
// component and the file it concerns are also kept as fields, so callers and tests need not parse the text.
// It deliberately carries no error codes: the message is the interface for people, `component` for code.

export class OsteonError extends Error {
  /** e.g. "config", "safetensors", "data": the part of osteon that refused. */
  readonly component: string;
  /** The file the error is about (as the user named it), when there is one. */
  readonly file: string | undefined;

  constructor(component: string, message: string, file?: string) {
    super(`[${component}] ${message}`);
    this.name = 'OsteonError';
    this.component = component;
    this.file = file;
  }
}

/** The same error, now also naming the file whose contents caused it (for checks that only see values). */
export function inFile(e: unknown, file: string): unknown {
  if (!(e instanceof OsteonError) || e.file) return e;
  const message = e.message.slice(e.component.length + 3);
  return new OsteonError(e.component, `${message}; file: ${file}`, file);
}

/** A value for an error message: JSON where it is short, cut where it is long. */
export function shown(v: unknown): string {
  let text: string;
  try {
    text = v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Parse JSON text that must hold an object, as `component` reads `file`. */
export function parseJsonObject(text: string, component: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new OsteonError(component, `${file} is not valid JSON (${(e as Error).message}); fix or re-export the file`, file);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OsteonError(component, `${file} must hold a JSON object, not ${shown(value)}; fix or re-export the file`, file);
  }
  return value as Record<string, unknown>;
}

/** UTF-8 text from bytes; invalid bytes are refused with their offset (and line), never replaced by U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, component: string, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    const byte = bytes[at].toString(16).padStart(2, '0');
    throw new OsteonError(component, `${file}:${line}: byte ${at} (0x${byte}) is not valid UTF-8; save the file as UTF-8`, file);
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (RFC 3629: no overlong
 *  forms, no surrogates, nothing above U+10FFFF); bytes.length when all are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    let n: number, lo = 0x80, hi = 0xbf;
    if (b < 0x80) { i++; continue; }
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) { n = 2; if (b === 0xe0) lo = 0xa0; if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { n = 3; if (b === 0xf0) lo = 0x90; if (b === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return bytes.length;
}
