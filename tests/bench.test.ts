// `osteon bench`, end to end on its smallest suite (smoke): every platform runs in its own process (Node
// children, headless Chromium), every workload passes its check before timing, results.json follows the
// schema, report.html holds the charts, and `osteon bench report` merges two machines' files.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchResults, SCHEMA } from '../bench/schema.js';
import { WORKLOADS } from '../bench/workloads.js';
import { browserRequired } from './browser-page.js';
import { fixturesDir } from './helpers.js';

const bench = suite('bench');
const cli = join(fixturesDir, '..', '..', 'dist', 'cli.js');

bench('osteon bench --suite smoke runs every platform and writes results.json and report.html', () => {
  const out = mkdtempSync(join(tmpdir(), 'osteon-bench-'));
  const run = spawnSync(process.execPath, [cli, 'bench', '--suite', 'smoke', '--out', out], { encoding: 'utf8', timeout: 600_000 });
  assert.is(run.status, 0, run.stderr.slice(-2000));
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
  assert.is(results.schema, SCHEMA);
  assert.ok(results.machine.cores > 0 && results.osteon.version);
  const byName = new Map(results.platforms.map((p) => [p.info.platform, p]));
  const required = ['node-webgpu', 'node-wasm', ...(browserRequired || existsSync('/usr/bin/chromium') ? ['chromium-webgpu', 'chromium-wasm'] : [])];
  for (const name of required) {
    const p = byName.get(name);
    assert.ok(p?.results, `${name}: ${p?.skipped ?? 'missing'}`);
    assert.equal([...new Set(p!.results!.map((r) => r.workload))], WORKLOADS, `${name} ran every workload`);
    for (const r of p!.results!) {
      assert.ok(r.check.startsWith('passed'), `${name} ${r.case}: ${r.check}`);
      for (const [k, s] of Object.entries(r.metrics)) assert.ok(Number.isFinite(s.median) && s.min <= s.median && s.median <= s.max, `${name} ${r.case} ${k}`);
    }
    assert.ok(p!.memory.peakTensorBytes > 0, `${name} reports its tensors' peak memory`);
    assert.ok(p!.results!.some((r) => r.case === 'device peak (f32)'), `${name} measured its device's peak`);
    for (const r of p!.results!.filter((q) => q.workload === 'matmul' && q.case !== 'device peak (f32)')) {
      assert.ok(r.metrics.peakFraction?.median > 0, `${name} ${r.case} is read as a fraction of the peak`);
    }
  }
  const tokenizer = byName.get('osteon');
  assert.ok(tokenizer?.results?.length && tokenizer.results.every((r) => r.workload === 'tokenizer' && r.check.startsWith('passed')), 'osteon\'s tokenizer was measured');
  for (const p of results.platforms.filter((q) => q.info.backend === 'tokenizer' && q.results)) {
    for (const r of p.results!) assert.ok(r.check.startsWith('passed'), `${p.info.platform} ${r.case}: ${r.check}`);
  }
  const torch = byName.get('pytorch-cpu');
  assert.ok(torch && (torch.results || /not installed/.test(torch.skipped ?? '')), 'PyTorch ran or is reported as not installed');
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(html.includes('<svg') && !html.includes('<script'), 'a self-contained report with charts');
  for (const name of required) assert.ok(html.includes(name), `the report shows ${name}`);

  const merged = join(out, 'merged.html');
  const report = spawnSync(process.execPath, [cli, 'bench', 'report', join(out, 'results.json'), join(out, 'results.json'), '--out', merged], { encoding: 'utf8' });
  assert.is(report.status, 0, report.stderr);
  assert.ok((readFileSync(merged, 'utf8').match(/node-wasm @ /g) ?? []).length >= 2, 'both files appear as columns');
});

bench.run();
