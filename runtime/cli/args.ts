// What the model commands share: numeric flags, and the backend flag as the API takes it.
import { OsteonError } from '../errors.js';
import { type BackendChoice, parseBackendChoice } from '../select.js';

/** The number a flag holds (undefined when the flag is absent); throws naming the flag otherwise. */
export function numberFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new OsteonError('cli', `--${name}=${JSON.stringify(v)} is not a number; give the flag a number (--help lists each flag's default)`);
  return n;
}

export const backendFlag = (v: string | undefined): BackendChoice | undefined => (v === undefined ? undefined : parseBackendChoice(v, '--backend'));

/** `--steps -1` as `--steps=-1`: Node's parseArgs reads a value starting with a dash as a flag, so a negative
 *  number would otherwise be refused with "did you forget the option argument" instead of its own range. */
export function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (/^--[^=]+$/.test(args[i]) && /^-(\d|\.\d|Infinity)/.test(args[i + 1] ?? '')) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

/** A flag parseArgs refused (unknown, missing value) as an error in osteon's style. */
export function cliError(e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!code?.startsWith('ERR_PARSE_ARGS')) return e;
  return new OsteonError('cli', `${(e as Error).message.replace(/\s+/g, ' ').trim()} (--help lists the flags)`);
}
