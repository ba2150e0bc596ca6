// Field readers for validating tokenizer.json: each names the offending field path, what it must be and
// what it got, so a malformed file fails with `[tokenizer] tokenizer.json: model.vocab must be ...`.
// It deliberately knows no component: config.ts says which fields each one has.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

import { OsteonError } from '../errors.js';

/** An OsteonError of component "tokenizer"; `file` is the file it concerns when known. */
export class TokenizerError extends OsteonError {
  constructor(message: string, file?: string) {
    super('tokenizer', message, file);
    this.name = 'TokenizerError';
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export function fail(path: string, expected: string, got: unknown): never {
  throw new TokenizerError(`tokenizer.json: ${path} must be ${expected} (got ${describe(got)}); fix the file or re-export it with the tokenizers library`, 'tokenizer.json');
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function object(v: unknown, path: string): JsonObject {
  if (!isObject(v)) fail(path, 'an object', v);
  return v;
}

export function array(v: unknown, path: string): Json[] {
  if (!Array.isArray(v)) fail(path, 'an array', v);
  return v;
}

export function string(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'a string', v);
  return v;
}

export function integer(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(path, 'a non-negative integer', v);
  return v;
}

/** A boolean field that may be absent (then `fallback`). */
export function flag(o: JsonObject, key: string, path: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'true or false', v);
  return v;
}

/** A string field that may be absent or null. */
export function optionalString(o: JsonObject, key: string, path: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  return string(v, `${path}.${key}`);
}

/** The `type` of a component object. */
export function typeOf(o: JsonObject, path: string): string {
  return string(o.type, `${path}.type`);
}

export function unsupported(path: string, what: string, hint: string): never {
  throw new TokenizerError(`tokenizer.json: ${path} is ${what}, which osteon does not support; ${hint}`, 'tokenizer.json');
}
