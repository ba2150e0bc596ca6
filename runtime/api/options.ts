// finetune()'s and generate()'s options checked once, before any work, for every caller (the CLI, the web
// page, library users): whole numbers where they count, ranges where a value outside one does nothing useful.
// Every message names the option and its CLI flag, `steps (--steps)`, so one text serves all three callers.
// What it does not check: sizes against the model and the backend (seq against the model's context, memory
// against the backend), which need the opened model (runtime/model/fits.ts checkTrainingFits).
import type { Variant } from '../adapters/config.js';

/** What finetune() trains: an adapter of one of the variants, or every weight (`full`). */
export type Method = Variant | 'full';
import { OsteonError, shown } from '../errors.js';
import type { ScheduleKind } from '../train/schedule.js';

export const METHODS: readonly Method[] = ['bone', 'bat', 'mini', 'lora', 'full'];
export const SCHEDULES: readonly ScheduleKind[] = ['cosine', 'linear', 'constant'];

/** Each numeric option: its flag, whether it must be whole, and its range. */
interface NumberRule { flag: string; whole: boolean; min: number; above?: boolean; below?: number; max?: number; hint?: string }

export const NUMBER_OPTIONS = {
  r: { flag: '-r/--rank', whole: true, min: 1 },
  miniR: { flag: '--mini-r', whole: true, min: 1 },
  alpha: { flag: '--alpha', whole: false, min: 0, above: true },
  dropout: { flag: '--dropout', whole: false, min: 0, below: 1 },
  steps: { flag: '--steps', whole: true, min: 1 },
  batch: { flag: '--batch', whole: true, min: 1 },
  seq: { flag: '--seq', whole: true, min: 2, hint: 'tokens per row; a row needs 2 to predict one' },
  accum: { flag: '--accum', whole: true, min: 1 },
  lr: { flag: '--lr', whole: false, min: 0, above: true, hint: 'adapters usually train with 1e-5 to 1e-2' },
  warmup: { flag: '--warmup', whole: true, min: 0 },
  weightDecay: { flag: '--weight-decay', whole: false, min: 0 },
  maxGradNorm: { flag: '--max-grad-norm', whole: false, min: 0, hint: '0 turns clipping off' },
  heldOut: { flag: '--held-out', whole: false, min: 0, hint: 'a fraction below 1, or a whole count of examples' },
  evalEvery: { flag: '--eval-every', whole: true, min: 0 },
  checkpointEvery: { flag: '--checkpoint-every', whole: true, min: 0, hint: '0 writes one only at the end' },
  seed: { flag: '--seed', whole: true, min: 0, below: 2 ** 32 },
} satisfies Record<string, NumberRule>;

export const GENERATE_NUMBER_OPTIONS = {
  maxNewTokens: { flag: '--max-new-tokens', whole: true, min: 1 },
  temperature: { flag: '--temperature', whole: false, min: 0, hint: '0 = greedy' },
  topK: { flag: '--top-k', whole: true, min: 0, hint: '0 = off' },
  topP: { flag: '--top-p', whole: false, min: 0, above: true, max: 1, hint: '1 = off' },
  seed: { flag: '--seed', whole: true, min: 0, below: 2 ** 32 },
} satisfies Record<string, NumberRule>;

export type NumberOption = keyof typeof NUMBER_OPTIONS;

/** `steps (--steps)`: how messages name an option, for API and CLI users alike. */
export const optionName = (key: NumberOption | 'method' | 'schedule' | 'targets' | 'noPack'): string =>
  `${key} (${key in NUMBER_OPTIONS ? NUMBER_OPTIONS[key as NumberOption].flag : `--${key === 'noPack' ? 'no-pack' : key}`})`;

/** Refuse each number in `o` that `rules` covers when it is of the wrong type or outside its range. */
function checkNumbers(component: string, rules: Record<string, NumberRule>, o: Record<string, unknown>): void {
  for (const [key, rule] of Object.entries(rules)) {
    const v = o[key];
    if (v === undefined) continue;
    const lowest = `${rule.above ? '>' : '>='} ${rule.min}`;
    const highest = rule.below !== undefined ? ` and < ${rule.below}` : rule.max !== undefined ? ` and <= ${rule.max}` : '';
    const want = `${rule.whole ? 'a whole number' : 'a number'} ${lowest}${highest}${rule.hint ? ` (${rule.hint})` : ''}`;
    const ok = typeof v === 'number' && Number.isFinite(v) && (!rule.whole || Number.isInteger(v)) &&
      (rule.above ? v > rule.min : v >= rule.min) && (rule.below === undefined || v < rule.below) && (rule.max === undefined || v <= rule.max) &&
      (key !== 'heldOut' || v < 1 || Number.isInteger(v));
    if (!ok) throw new OsteonError(component, `${key} (${rule.flag})=${typeof v === 'number' ? v : shown(v)} must be ${want}`);
  }
}

/** generate()'s sampling options, named as the finetune ones are. */
export function checkGenerateOptions(o: Record<string, unknown>): void {
  checkNumbers('generate', GENERATE_NUMBER_OPTIONS, o);
}

/** Refuse any option of the wrong type or outside its range, naming the option and its flag. */
export function checkFinetuneOptions(o: Record<string, unknown>): void {
  checkNumbers('finetune', NUMBER_OPTIONS, o);
  if (o.method !== undefined && !METHODS.includes(o.method as Method)) {
    throw new OsteonError('finetune', `${optionName('method')}=${shown(o.method)} is not one of ${METHODS.join(', ')}`);
  }
  if (o.schedule !== undefined && !SCHEDULES.includes(o.schedule as ScheduleKind)) {
    throw new OsteonError('finetune', `${optionName('schedule')}=${shown(o.schedule)} is not one of ${SCHEDULES.join(', ')}`);
  }
  const t = o.targets;
  const targetsOk = t === undefined || (typeof t === 'string' && t.trim() !== '') ||
    (Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'string' && x !== ''));
  if (!targetsOk) {
    throw new OsteonError('finetune', `${optionName('targets')}=${shown(t)} must name modules (q_proj,v_proj), a regex, or all-linear`);
  }
  for (const key of ['noPack', 'recompute', 'resume', 'halfWeights', 'evalBefore']) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new OsteonError('finetune', `${key}=${shown(o[key])} must be true or false`);
  }
  if (o.evalData !== undefined && o.heldOut !== undefined) {
    throw new OsteonError('finetune', `evalData (--eval-data) and ${optionName('heldOut')} both given: evaluation data given apart is used instead of a held-out part; pass one of them`);
  }
  if (o.method === 'full' && o.halfWeights === true) {
    throw new OsteonError('finetune', `halfWeights=true with ${optionName('method')}=full: trained weights are kept in float32; leave halfWeights out`);
  }
  if (o.method === 'bat' && typeof o.dropout === 'number' && o.dropout > 0) {
    throw new OsteonError('finetune', `${optionName('dropout')}=${o.dropout}: Bat has no input dropout (PEFT applies none either); leave it at 0`);
  }
}
