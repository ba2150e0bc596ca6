// What a checkpoint records about the run that wrote it, so that a resume continues that run and no other:
// the options that decide the result (every default filled in), a fingerprint of the tokenized data and of
// the model's config.json. On resume, options left out take the recorded values; an option given with
// another value is refused with every difference named, except more steps (the schedule then stretches to
// the new total, and the log says so). Options that do not change the result (backend, recompute,
// eval/checkpoint cadence) are not recorded: a run may resume on another backend.
// The model fingerprint covers config.json, not the weights (hashing gigabytes on every start would cost
// more than the check saves); the data fingerprint covers every token id and label.
import { OsteonError } from '../errors.js';
import type { Example } from '../train/data.js';
import { type NumberOption, optionName } from './options.js';

/** The options that define a run, with defaults filled in. */
export interface RunOptions {
  method: string; r: number; miniR: number; alpha: number; dropout: number; targets: string | string[];
  steps: number; batch: number; seq: number; accum: number; lr: number; schedule: string; warmup: number;
  weightDecay: number; maxGradNorm: number; heldOut: number; noPack: boolean; seed: number;
}

export interface RunRecord { options: RunOptions; data: string; model: string }

export const RUN_KEYS: (keyof RunOptions)[] = [
  'method', 'r', 'miniR', 'alpha', 'dropout', 'targets', 'steps', 'batch', 'seq', 'accum', 'lr', 'schedule', 'warmup',
  'weightDecay', 'maxGradNorm', 'heldOut', 'noPack', 'seed',
];

/** 64-bit FNV-1a over 32-bit words, as 16 hex digits. */
function fnv(words: Iterable<number>): string {
  let h = 0xcbf29ce484222325n;
  for (const w of words) h = ((h ^ BigInt(w >>> 0)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/** A fingerprint of tokenized examples: every id and label, and where each example ends. */
export function dataFingerprint(examples: Example[]): string {
  return `${examples.length} examples, ${fnv((function* () {
    for (const e of examples) {
      yield e.ids.length;
      yield* e.ids;
      yield* e.labels;
    }
  })())}`;
}

/** A fingerprint of a model's config.json (key order does not matter). */
export function modelFingerprint(raw: Record<string, unknown>): string {
  const sorted = (v: unknown): unknown => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]))
    : v);
  return fnv(new TextEncoder().encode(JSON.stringify(sorted(raw))));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const named = (key: keyof RunOptions) => optionName(key as NumberOption);

/** The caller's options for a resumed run: left-out ones take the recorded values; given ones must match,
 *  except a larger `steps`. Throws naming every difference; returns notes for the log. */
export function resumeOptions<T extends Partial<Record<keyof RunOptions, unknown>>>(given: T, recorded: RunOptions, where: string): { options: T; notes: string[] } {
  const options = { ...given } as Record<string, unknown>;
  const differences: string[] = [], notes: string[] = [];
  for (const key of RUN_KEYS) {
    const was = recorded[key], now = given[key];
    if (now === undefined) options[key] = was;
    else if (same(now, was)) continue;
    else if (key === 'steps' && typeof now === 'number' && now > (was as number)) {
      notes.push(`steps (--steps) raised from ${was} to ${now}: the learning-rate schedule now runs to step ${now}`);
    } else differences.push(`${named(key)} is ${JSON.stringify(was)} there, ${JSON.stringify(now)} now`);
  }
  if (differences.length) {
    throw new OsteonError('resume', `${where} was written by a run with other options: ${differences.join('; ')}. ` +
      'Leave those options out to continue that run (only a larger --steps may change), or start a new run in another folder (--out)');
  }
  return { options: options as T, notes };
}

/** Refuse to resume on other data or another model than the checkpoint's. */
export function checkResumeInputs(recorded: RunRecord, data: string, model: string, where: string): void {
  const differences: string[] = [];
  if (recorded.data !== data) differences.push(`the data (--data) differs: ${recorded.data} there, ${data} now`);
  if (recorded.model !== model) differences.push(`the model's config.json (--model) differs: fingerprint ${recorded.model} there, ${model} now`);
  if (differences.length) {
    throw new OsteonError('resume', `${where} belongs to another run: ${differences.join('; ')}. ` +
      'Resume with the data and model it was trained on, or start a new run in another folder (--out)');
  }
}
