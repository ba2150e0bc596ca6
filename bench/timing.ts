// Timing helpers shared by the benchmark suites: warm up, then repeat until enough time has passed,
// and report the median (machines are shared and noisy; the median resists a stray slow run).

export interface Timing { medianMs: number; runs: number }

export async function timeIt(fn: () => Promise<void>, opts: { minRuns?: number; minMs?: number } = {}): Promise<Timing> {
  const minRuns = opts.minRuns ?? 3, minMs = opts.minMs ?? 1000;
  await fn(); // warm-up: pipelines, allocations, JIT
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minMs) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    if (times.length >= 50) break;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], runs: times.length };
}

/** Fixed-width text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
