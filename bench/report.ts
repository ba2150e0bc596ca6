// The benchmark report: one self-contained HTML page (inline SVG, no scripts, no network) that puts every
// platform and peer of one or more results files side by side, per workload: a bar chart of the headline
// figure, a table with each median, its spread and its ratio to the first column, and for adapters and
// training steps the cost over the frozen model on the same platform.
import type { BenchResults, PlatformResult, Stat, WorkloadResult } from './schema.js';

/** The headline figure of each workload and whether more is better. */
export const HEADLINE: Record<string, { metric: string; label: string; higherIsBetter: boolean }> = {
  matmul: { metric: 'gflops', label: 'GFLOP/s', higherIsBetter: true },
  adapter: { metric: 'ms', label: 'ms per forward + backward', higherIsBetter: false },
  train: { metric: 'tokensPerSecond', label: 'training tokens/s', higherIsBetter: true },
  generate: { metric: 'decodeTokensPerSecond', label: 'decode tokens/s', higherIsBetter: true },
  finetune: { metric: 'seconds', label: 'seconds for the built-in fine-tuning job', higherIsBetter: false },
  tokenizer: { metric: 'mbPerSecond', label: 'MB/s encoded', higherIsBetter: true },
};
/** Details worth a reader's eye beside each platform (the rest, such as every WebGPU limit, stay in the JSON). */
const SHOWN_DETAILS = ['threads', 'shader-f16', 'subgroups', 'torch', 'blas', 'peft'];
/** Names of the memory figures a platform reports. */
const MEMORY: Record<string, string> = { peakTensorBytes: 'tensors', peakRssBytes: 'peak RSS', jsHeapBytes: 'JS heap' };
const ORDER = ['matmul', 'adapter', 'train', 'generate', 'finetune', 'tokenizer'];
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(3));

interface Column { label: string; platform: PlatformResult }

function columns(files: BenchResults[]): Column[] {
  const many = files.length > 1;
  return files.flatMap((f) => f.platforms.map((p) => ({
    label: many ? `${p.info.platform} @ ${f.machine.cpu.split(/\s+/).slice(0, 3).join(' ')}` : p.info.platform, platform: p,
  })));
}

function find(c: Column, workload: string, kase: string): WorkloadResult | undefined {
  return c.platform.results?.find((r) => r.workload === workload && r.case === kase);
}

/** Grouped horizontal bars: one group per case, one bar per column. */
function barChart(cases: string[], cols: Column[], workload: string): string {
  const h = HEADLINE[workload];
  const value = (c: Column, k: string) => find(c, workload, k)?.metrics[h.metric]?.median;
  const max = Math.max(...cases.flatMap((k) => cols.map((c) => value(c, k) ?? 0)), 1e-12);
  const bar = 14, gap = 10, left = 250, width = 520;
  const groupH = cols.length * bar + gap;
  const height = cases.length * groupH + 40;
  const parts: string[] = [];
  cases.forEach((k, g) => {
    const y0 = 10 + g * groupH;
    parts.push(`<text x="${left - 8}" y="${y0 + (cols.length * bar) / 2 + 4}" text-anchor="end" font-size="11">${esc(k)}</text>`);
    cols.forEach((c, i) => {
      const v = value(c, k);
      if (v === undefined) return;
      const w = Math.max(1, (v / max) * width);
      parts.push(`<rect x="${left}" y="${y0 + i * bar}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${COLORS[i % COLORS.length]}"><title>${esc(c.label)}: ${fmt(v)} ${esc(h.label)}</title></rect>`);
      parts.push(`<text x="${left + w + 4}" y="${y0 + i * bar + bar - 4}" font-size="10">${fmt(v)}</text>`);
    });
  });
  const legend = cols.map((c, i) => `<span style="color:${COLORS[i % COLORS.length]}">■</span> ${esc(c.label)}`).join(' &nbsp; ');
  return `<p class="legend">${legend} &nbsp; <small>(${esc(h.label)}; ${h.higherIsBetter ? 'longer is better' : 'shorter is better'})</small></p>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${left + width + 60} ${height - 30}" width="100%" font-family="system-ui, sans-serif">${parts.join('')}</svg>`;
}

function cell(s: Stat | undefined, base: Stat | undefined, higherIsBetter: boolean): string {
  if (!s) return '<td class="none">–</td>';
  const spread = s.n > 1 ? ` <small>(${fmt(s.min)}–${fmt(s.max)})</small>` : '';
  const ratio = base && base !== s ? (higherIsBetter ? s.median / base.median : base.median / s.median) : null;
  return `<td>${fmt(s.median)}${spread}${ratio ? ` <b>${ratio.toFixed(2)}x</b>` : ''}</td>`;
}

/** For adapters and training: each method's time (or throughput) over the frozen case on the same platform. */
function overFrozen(workload: string, cases: string[], cols: Column[]): string {
  const h = HEADLINE[workload];
  const frozenOf = (k: string) => k.replace(/^[^,]+,/, 'frozen,');
  const rows = cases.filter((k) => !k.startsWith('frozen')).map((k) => `<tr><th>${esc(k)}</th>${cols.map((c) => {
    const v = find(c, workload, k)?.metrics[h.metric]?.median, f = find(c, workload, frozenOf(k))?.metrics[h.metric]?.median;
    if (v === undefined || f === undefined) return '<td class="none">–</td>';
    return `<td>${(h.higherIsBetter ? f / v : v / f).toFixed(2)}x</td>`;
  }).join('')}</tr>`);
  return `<p>Cost over the frozen model on the same platform (time with the adapter / time frozen):</p>
<table><tr><th></th>${cols.map((c) => `<th>${esc(c.label)}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

export function renderReport(files: BenchResults[]): string {
  const cols = columns(files);
  const sections: string[] = [];
  for (const workload of ORDER) {
    const cases = [...new Set(cols.flatMap((c) => (c.platform.results ?? []).filter((r) => r.workload === workload).map((r) => r.case)))];
    if (!cases.length) continue;
    const h = HEADLINE[workload];
    const metrics = [...new Set(cols.flatMap((c) => (c.platform.results ?? []).filter((r) => r.workload === workload).flatMap((r) => Object.keys(r.metrics))))];
    const table = metrics.map((m) => `<h4>${esc(m)}${m === h.metric ? ' (headline)' : ''}</h4><table><tr><th>case</th>${cols.map((c) => `<th>${esc(c.label)}</th>`).join('')}</tr>${
      cases.map((k) => {
        const stats = cols.map((c) => find(c, workload, k)?.metrics[m]);
        const base = stats.find(Boolean);
        const better = m === h.metric ? h.higherIsBetter : !/ms$|Bytes$|bytes$/i.test(m);
        return `<tr><th>${esc(k)}</th>${stats.map((s) => cell(s, base, better)).join('')}</tr>`;
      }).join('')}</table>`).join('');
    sections.push(`<section><h2>${esc(workload)}</h2>${barChart(cases, cols, workload)}${table}${
      workload === 'adapter' || workload === 'train' ? overFrozen(workload, cases, cols) : ''}</section>`);
  }
  const platforms = cols.map((c) => `<tr><th>${esc(c.label)}</th><td>${esc(c.platform.info.backend)}</td><td>${esc(c.platform.info.device)}</td><td>${esc(c.platform.info.runtime)}${
    Object.entries(c.platform.info.details).filter(([k]) => SHOWN_DETAILS.includes(k)).map(([k, v]) => `<br><small>${esc(k)}: ${esc(String(v))}</small>`).join('')
  }</td><td>${
    c.platform.skipped ? `<b>not run:</b> ${esc(c.platform.skipped)}` : `${c.platform.seconds.toFixed(0)} s; ${Object.entries(c.platform.memory).map(([k, v]) => `${MEMORY[k] ?? k} ${(v / 2 ** 20).toFixed(0)} MiB`).join(', ')}`
  }</td></tr>`).join('');
  const machines = files.map((f) => `<li>${esc(f.machine.cpu)}, ${f.machine.cores} cores, ${(f.machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${esc(f.machine.os)}; osteon ${esc(f.osteon.version)}${f.osteon.commit ? ` (${esc(f.osteon.commit.slice(0, 10))})` : ''}; suite ${esc(f.suite)}; ${esc(f.created)}</li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>osteon benchmark</title><style>
body{font:14px/1.4 system-ui,sans-serif;max-width:1100px;margin:1rem auto;padding:0 1rem;color:#1d232a}
table{border-collapse:collapse;margin:.3rem 0 1rem;font-size:12.5px}th,td{border:1px solid #dde1e6;padding:3px 7px;text-align:right}
th:first-child{text-align:left}td.none{color:#aaa;text-align:center}small{color:#6b747d}h2{margin-top:2rem;border-bottom:1px solid #dde1e6}
h4{margin:.6rem 0 .2rem}</style></head><body>
<h1>osteon benchmark</h1>
<ul>${machines}</ul>
<p>Each figure is the median of its repetitions (spread in brackets); <b>n.nnx</b> is the ratio to the first
column with a value, oriented so that above 1 is better. Every workload was checked against a reference before
it was timed. Platforms and peers ran one after another, each in its own process.</p>
<table><tr><th>platform</th><th>backend</th><th>device</th><th>runtime</th><th>time and peak memory</th></tr>${platforms}</table>
${sections.join('\n')}
</body></html>
`;
}
