// The method study's bookkeeping (bench/study.ts): LoRA's rank at Bone's parameter count, the summary of its
// runs (mean and spread over seeds), and its HTML page with one SVG bar chart per metric (error bars span
// the lowest and highest seed).
import { parameterCount } from '../runtime/adapters/config.js';
import type { ModelConfig } from '../runtime/model/config.js';
import { weightShapes } from '../runtime/model/llama.js';

export interface StudyMethod { name: string; method: string; r: number; miniR?: number }

export interface RunRow {
  method: string; task: 'sotu' | 'reverse'; lr: number; seed: number; steps: number;
  heldOutLoss: number | null; exact: number | null; forgetLoss: number;
  secondsPerStep: number; peakTensorBytes: number; trainable: number;
}

/** Mean over seeds, and spread = half the range (so mean ± spread covers every seed). */
export interface Spread { mean: number; spread: number; min: number; max: number }

export interface MethodSummary {
  method: string; trainable: number; heldOutLoss: Spread; exact: Spread; forgetting: Spread; secondsPerStep: Spread; peakTensorBytes: number;
}

/** The projections of every layer as [out, in]. */
function projections(c: ModelConfig): [number, number][] {
  return [...weightShapes(c)].filter(([name, s]) => s.length === 2 && name.startsWith('model.layers.')).map(([, s]) => [s[0], s[1]]);
}

/** The LoRA rank whose trainable parameters on every projection come closest to Bone's at block size r. */
export function loraRankFor(c: ModelConfig, r: number): number {
  const count = (config: Parameters<typeof parameterCount>[0]) => projections(c).reduce((s, [out, inF]) => s + parameterCount(config, inF, out), 0);
  const bone = count({ variant: 'bone', r });
  let best = 1;
  for (let rank = 1; rank <= 4 * r; rank++) {
    const gap = (k: number) => Math.abs(count({ variant: 'lora', r: k, alpha: 2 * k }) - bone);
    if (gap(rank) < gap(best)) best = rank;
  }
  return best;
}

function spread(values: number[]): Spread {
  if (!values.length) return { mean: NaN, spread: NaN, min: NaN, max: NaN };
  const min = Math.min(...values), max = Math.max(...values);
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, spread: (max - min) / 2, min, max };
}

export function summarise(methods: StudyMethod[], runs: RunRow[], basePretrainLoss: number): MethodSummary[] {
  return methods.map((m) => {
    const own = runs.filter((r) => r.method === m.name);
    const sotu = own.filter((r) => r.task === 'sotu'), reverse = own.filter((r) => r.task === 'reverse');
    return {
      method: m.name, trainable: own[0]?.trainable ?? 0,
      heldOutLoss: spread(sotu.map((r) => r.heldOutLoss ?? NaN)),
      exact: spread(reverse.map((r) => r.exact ?? NaN)),
      // Forgetting after the language-modelling task: what learning the addresses cost the model elsewhere.
      forgetting: spread(sotu.map((r) => r.forgetLoss - basePretrainLoss)),
      secondsPerStep: spread(sotu.map((r) => r.secondsPerStep)),
      peakTensorBytes: Math.max(...sotu.map((r) => r.peakTensorBytes)),
    };
  });
}

const COLORS: Record<string, string> = { bone: '#1f77b4', bat: '#ff7f0e', mini: '#2ca02c', lora: '#d62728', full: '#9467bd' };

/** One bar per method with its seed range; `base` (when given) is drawn as a dashed line. Counts and times
 *  start at zero; losses start just below the lowest value, so that their differences show (the axis is
 *  labelled). */
function barChart(title: string, better: string, rows: { name: string; s: Spread }[], base: number | null, fromZero: boolean): string {
  const w = 440, h = 250, left = 62, bottom = 28, top = 40;
  const values = [...rows.flatMap((r) => [r.s.min, r.s.max]), ...(base === null ? [] : [base])].filter(Number.isFinite);
  let high = Math.max(...values), low = Math.min(...values);
  const pad = (high - low || Math.abs(high) || 1) * 0.15;
  low = fromZero ? Math.min(0, low) : low - pad;
  high += pad;
  const y = (v: number) => top + (h - top - bottom) * (1 - (v - low) / (high - low));
  const floor = fromZero ? y(Math.max(0, low)) : y(low);
  const slot = (w - left - 10) / rows.length;
  const bars = rows.map((r, i) => {
    const x = left + i * slot + slot * 0.2, bw = slot * 0.6, mid = x + bw / 2;
    if (!Number.isFinite(r.s.mean)) return `<text x="${mid}" y="${h - 10}" text-anchor="middle" font-size="12">${r.name}</text>`;
    return `<rect x="${x.toFixed(1)}" y="${Math.min(y(r.s.mean), floor).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.abs(floor - y(r.s.mean)).toFixed(1)}" fill="${COLORS[r.name] ?? '#777'}"/>` +
      `<line x1="${mid}" x2="${mid}" y1="${y(r.s.min).toFixed(1)}" y2="${y(r.s.max).toFixed(1)}" stroke="#000"/>` +
      `<text x="${mid}" y="${h - 10}" text-anchor="middle" font-size="12">${r.name}</text>` +
      `<text x="${mid}" y="${(Math.min(y(r.s.max), y(r.s.mean)) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${r.s.mean.toPrecision(3)}</text>`;
  }).join('');
  const baseLine = base === null ? '' :
    `<line x1="${left}" x2="${w - 10}" y1="${y(base).toFixed(1)}" y2="${y(base).toFixed(1)}" stroke="#555" stroke-dasharray="4 3"/>` +
    `<text x="${left + 4}" y="${(y(base) - 3).toFixed(1)}" font-size="10" fill="#555">before: ${base.toPrecision(3)}</text>`;
  const axis = [low, (low + high) / 2, high].map((v) => `<text x="${left - 6}" y="${(y(v) + 3).toFixed(1)}" text-anchor="end" font-size="10">${v.toPrecision(3)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${title}">` +
    `<text x="${left}" y="14" font-size="13" font-weight="bold">${title}</text><text x="${left}" y="29" font-size="11" fill="#555">${better}</text>` +
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${h - bottom}" stroke="#000"/><line x1="${left}" x2="${w - 10}" y1="${floor.toFixed(1)}" y2="${floor.toFixed(1)}" stroke="#000"/>` +
    `${axis}${baseLine}${bars}</svg>`;
}

export function renderStudy(study: { summary: MethodSummary[]; base: { sotuHeldOutLoss: number | null }; settings: { steps: number; seeds: number[]; chosen: Record<string, number> }; date: string }): string {
  const rows = (pick: (m: MethodSummary) => Spread) => study.summary.map((m) => ({ name: m.method, s: pick(m) }));
  const one = (v: number): Spread => ({ mean: v, spread: 0, min: v, max: v });
  const charts = [
    barChart('State of the Union: held-out loss', 'lower is better; the axis does not start at 0', rows((m) => m.heldOutLoss), study.base.sotuHeldOutLoss, false),
    barChart('Reverse: exact match on unseen triples', 'higher is better', rows((m) => m.exact), null, true),
    barChart('Forgetting: pretraining held-out loss change', 'lower is better; the axis does not start at 0', rows((m) => m.forgetting), null, false),
    barChart('Seconds per step (WebAssembly)', 'lower is better', rows((m) => m.secondsPerStep), null, true),
    barChart('Peak tensor memory (MiB)', 'lower is better', rows((m) => one(m.peakTensorBytes / 2 ** 20)), null, true),
    barChart('Trainable parameters (thousands)', 'fewer is smaller', rows((m) => one(m.trainable / 1000)), null, true),
  ];
  const lr = Object.entries(study.settings.chosen).map(([m, v]) => `${m} ${v}`).join(', ');
  return `<!doctype html><meta charset="utf-8"><title>osteon: method study</title>` +
    `<style>body{font:14px system-ui;margin:24px}svg{margin:8px}</style>` +
    `<h1>Bone, Bat, mini, LoRA and full fine-tuning of the built-in model</h1>` +
    `<p>${study.settings.steps} steps per run, seeds ${study.settings.seeds.join(', ')}; bars are means, whiskers the lowest and highest seed. ` +
    `Learning rates (picked by the sweep): ${lr}. ${study.date}</p><div>${charts.join('')}</div>`;
}
