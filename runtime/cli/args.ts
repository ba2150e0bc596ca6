// What the model commands share: numeric flags, and the backend flag as the API takes it.
import { type BackendChoice, parseBackendChoice } from '../select.js';
import { OsteonError } from '../errors.js';

/** The number a flag holds (undefined when the flag is absent); throws naming the flag otherwise. */
export function numberFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new OsteonError('cli', `--${name}=${v} is not a number`);
  return n;
}

export const backendFlag = (v: string | undefined): BackendChoice | undefined => (v === undefined ? undefined : parseBackendChoice(v, '--backend'));
