// `osteon bench`: the cross-platform benchmark. Each platform runs in a process of its own (so its peak
// memory is its own): Node platforms as a child `osteon bench --child`, Chromium platforms as a headless
// Chromium (playwright-core and the system's Chromium, when both are here) on the benchmark page, peers
// (PyTorch, with PEFT when importable) through python3. Results go to results.json (bench/schema.ts) and a
// self-contained report.html; `osteon bench report a.json b.json` merges files from several machines.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform as osPlatform, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchResults, type Machine, type PlatformResult, SCHEMA } from '../../bench/schema.js';
import { SUITES, WORKLOADS, type WorkloadName } from '../../bench/workloads.js';
import { runPlatform } from '../../bench/platform.js';
import { HEADLINE, renderReport } from '../../bench/report.js';
import torchPeer from '../../bench/peers/torch_peer.py';
import { JOB_ENV, runJob, tokenizerPlatforms } from '../../bench/tokenizer.js';
import { serveWeb } from './web.js';
import { OsteonError } from '../errors.js';

export const BENCH_HELP = `osteon bench [--suite quick|full|smoke] [--platforms LIST] [--workloads LIST] [--peers LIST] [--out DIR]
  Benchmark osteon on each platform, peers beside it, and write DIR/results.json and DIR/report.html.
  --suite       quick (default; minutes on a laptop), full (real SmolLM-135M depth, every shape), smoke (the
                smallest case of everything, once)
  --platforms   node-webgpu,node-wasm,chromium-webgpu,chromium-wasm,chromium-wasm-1thread (default: all)
  --workloads   matmul,adapter,train,generate,finetune,tokenizer (default: all)
  --peers       pytorch (default; PyTorch on CPU, and CUDA when there is one; PEFT when importable), none;
                TensorFlow.js and onnxruntime are listed as not installed where they are not
  --out DIR     default: osteon-bench
osteon bench report A.json [B.json ...] [--out report.html]
  One report from results of several machines.
osteon bench --serve [--port N]
  Serve the benchmark page: open it on any device, run the browser part, download its results.json.
`;

/** chromium-wasm runs on a cross-origin isolated page (WebAssembly threads); chromium-wasm-1thread on a plain
 *  one, as a page served without COOP/COEP runs. */
const PLATFORMS = ['node-webgpu', 'node-wasm', 'chromium-webgpu', 'chromium-wasm', 'chromium-wasm-1thread'];
const here = dirname(fileURLToPath(import.meta.url));
const BENCH_ROOT = join(here, 'bench');

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function commit(): string | null {
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: here, encoding: 'utf8' });
  return git.status === 0 ? git.stdout.trim() : null;
}

function machine(): Machine {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return { cpu, cores: cpus().length, memoryBytes: totalmem(), os: `${osPlatform()} ${release()}`, node: process.version };
}

const list = (v: string | undefined, all: string[], what: string): string[] => {
  if (!v) return all;
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !all.includes(s));
  if (bad.length) throw new OsteonError('bench', `--${what}: ${bad.join(', ')} is not one of ${all.join(', ')}`);
  return items;
};

/** A Node platform in a child process; its result and peak RSS. */
function nodePlatform(platform: string, suite: string, workloads: string[], log: (s: string) => void): PlatformResult | Error {
  log(`${platform}: running`);
  const child = spawnSync(process.execPath, [join(here, 'cli.js'), 'bench', '--child', platform, '--suite', suite, '--workloads', workloads.join(',')],
    { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !last.startsWith('{')) return new OsteonError('bench', `${platform} failed (exit ${child.status}); its messages are above`);
  return JSON.parse(last) as PlatformResult;
}

/** A Chromium platform: the benchmark page in a fresh headless Chromium, cross-origin isolated. */
async function chromiumPlatform(platform: string, suite: string, workloads: string[], log: (s: string) => void): Promise<PlatformResult> {
  const backend = platform.slice('chromium-'.length).replace('-1thread', '');
  const skip = (why: string): PlatformResult => ({
    info: { platform, backend, device: 'none', details: {}, runtime: 'Chromium' }, results: null, skipped: why, memory: {}, seconds: 0,
  });
  const executable = process.env.OSTEON_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executable)) return skip(`no Chromium at ${executable} (install it, or set OSTEON_CHROMIUM)`);
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return skip('playwright-core is not installed (npm install playwright-core)');
  }
  log(`${platform}: running in ${executable}`);
  const { server, url } = await serveWeb({ root: BENCH_ROOT, isolate: !platform.endsWith('-1thread') });
  const browser = await chromium.launch({
    executablePath: executable,
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browser.newPage();
    await page.exposeFunction('osteonBenchDone', (w: string, seconds: number) => log(`  ${platform}: ${w} done in ${seconds.toFixed(1)} s`));
    await page.goto(url);
    await page.waitForFunction(() => 'osteonBench' in window);
    const result = await page.evaluate(
      ([p, b, s, w]) => {
        const win = window as unknown as { osteonBench: { run(o: object): Promise<PlatformResult> }; osteonBenchDone(w: string, s: number): void };
        return win.osteonBench.run({ platform: p, backend: b, suite: s, workloads: w, onDone: win.osteonBenchDone });
      },
      [platform, backend, suite, workloads] as const,
    );
    result.info.runtime = `Chromium ${browser.version()}`;
    return result;
  } finally {
    await browser.close();
    server.close();
  }
}

/** The first python3 that imports torch (Debian's python3-torch belongs to the system's), or null. */
export function torchPython(): string | null {
  return ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? null;
}

/** PyTorch (and PEFT) through the first python3 that imports torch. */
function torchPeers(suite: string, log: (s: string) => void): PlatformResult[] {
  const spec = SUITES[suite];
  const python = torchPython();
  if (python) {
    log(`pytorch: running with ${python}`);
    const run = spawnSync(python, ['-c', torchPeer], { input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (run.status !== 0) {
      return [{ info: { platform: 'pytorch-cpu', backend: 'torch', device: 'none', details: {}, runtime: python }, results: null,
        skipped: `the PyTorch peer failed: ${(run.stderr.trim().split('\n').pop() ?? '').slice(0, 300)}`, memory: {}, seconds: 0 }];
    }
    return JSON.parse(run.stdout) as PlatformResult[];
  }
  return [{ info: { platform: 'pytorch-cpu', backend: 'torch', device: 'none', details: {}, runtime: 'python3' }, results: null,
    skipped: 'not installed: no python3 here imports torch (Debian: apt-get install python3-torch; or pip install torch peft)', memory: {}, seconds: 0 }];
}

/** A text summary for the terminal: each workload's headline figure per platform. */
function summary(r: BenchResults): string {
  const lines: string[] = [];
  for (const p of r.platforms) {
    if (!p.results) { lines.push(`${p.info.platform}: not run (${p.skipped})`); continue; }
    lines.push(`${p.info.platform} (${p.info.device}), ${p.seconds.toFixed(0)} s:`);
    for (const w of p.results) {
      const s = w.metrics[HEADLINE[w.workload]?.metric ?? ''];
      if (s) lines.push(`  ${w.workload.padEnd(9)} ${w.case.padEnd(56)} ${s.median.toFixed(2).padStart(10)} ${s.unit}`);
    }
  }
  return lines.join('\n');
}

/** Peers osteon bench knows of but does not drive: listed as not installed, or as installed but not run. */
async function listedPeers(): Promise<PlatformResult[]> {
  const peers = [['tensorflow.js', '@tensorflow/tfjs'], ['onnxruntime-node', 'onnxruntime-node']];
  const out: PlatformResult[] = [];
  for (const [name, pkg] of peers) {
    const installed = await import(pkg).then(() => true, () => false);
    out.push({ info: { platform: name, backend: pkg, device: 'none', details: {}, runtime: `Node ${process.version}` }, results: null,
      skipped: installed ? `installed, but this version of osteon bench has no ${name} workloads yet` : `not installed (npm install ${pkg})`, memory: {}, seconds: 0 });
  }
  return out;
}

export async function benchCommand(args: string[]): Promise<number> {
  if (process.env[JOB_ENV]) { await runJob(); return 0; } // a tokenizer measurement's own process
  if (args[0] === 'report') return reportCommand(args.slice(1));
  const { values: o } = parseArgs({
    args,
    options: {
      suite: { type: 'string', default: 'quick' }, platforms: { type: 'string' }, workloads: { type: 'string' },
      peers: { type: 'string', default: 'pytorch' }, out: { type: 'string', default: 'osteon-bench' },
      child: { type: 'string' }, serve: { type: 'boolean', default: false }, port: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) { process.stdout.write(BENCH_HELP); return 0; }
  if (!SUITES[o.suite!]) throw new OsteonError('bench', `--suite=${o.suite} is not one of ${Object.keys(SUITES).join(', ')}`);
  const chosen = list(o.workloads, [...WORKLOADS, 'tokenizer'], 'workloads');
  const workloads = chosen.filter((w) => w !== 'tokenizer') as WorkloadName[];
  if (o.child) {
    const result = await runPlatform({ platform: o.child, backend: o.child.slice('node-'.length) as 'wasm', suite: o.suite!, workloads,
      onDone: (w, seconds) => process.stderr.write(`  ${o.child}: ${w} done in ${seconds.toFixed(1)} s\n`) });
    result.memory.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  if (o.serve) {
    const { url } = await serveWeb({ root: BENCH_ROOT, port: Number(o.port ?? 8081) });
    process.stderr.write(`osteon: the benchmark page is at ${url} (Ctrl-C stops the server)\n`);
    await new Promise(() => {});
  }
  const platforms = workloads.length ? list(o.platforms, PLATFORMS, 'platforms') : [];
  const peers = list(o.peers, ['pytorch', 'none'], 'peers').filter((p) => p !== 'none');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const results: BenchResults = {
    schema: SCHEMA, created: new Date().toISOString(), suite: o.suite!, osteon: { version: version(), commit: commit() }, machine: machine(), platforms: [],
  };
  const failures: string[] = [];
  for (const p of platforms) {
    const r = p.startsWith('node-') ? nodePlatform(p, o.suite!, workloads, log) : await chromiumPlatform(p, o.suite!, workloads, log).catch((e: Error) => e);
    if (r instanceof Error) failures.push(`${p}: ${r.message}`);
    else results.platforms.push(r);
  }
  if (peers.includes('pytorch') && workloads.some((w) => w === 'matmul' || w === 'adapter')) results.platforms.push(...torchPeers(o.suite!, log));
  if (chosen.includes('tokenizer')) {
    log('tokenizers: osteon and the JavaScript tokenizers, each in its own process');
    results.platforms.push(...await tokenizerPlatforms(SUITES[o.suite!].tokenizer));
  }
  if (peers.length) results.platforms.push(...await listedPeers());
  const out = resolve(o.out!);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2));
  writeFileSync(join(out, 'report.html'), renderReport([results]));
  process.stdout.write(`${summary(results)}\n\nwrote ${out}/results.json and ${out}/report.html\n`);
  for (const f of failures) process.stderr.write(`${f}\n`);
  return failures.length ? 1 : 0;
}

async function reportCommand(args: string[]): Promise<number> {
  const { values: o, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string', default: 'report.html' } } });
  if (!positionals.length) throw new OsteonError('bench', `report needs one or more results.json files\n\n${BENCH_HELP}`);
  const files = positionals.map((f) => {
    const r = JSON.parse(readFileSync(resolve(f), 'utf8')) as BenchResults;
    if (r.schema !== SCHEMA) throw new OsteonError('bench', `${f} is not an osteon results file of schema ${SCHEMA} (schema=${r.schema})`);
    return r;
  });
  writeFileSync(resolve(o.out!), renderReport(files));
  process.stderr.write(`wrote ${resolve(o.out!)} from ${files.length} results file${files.length > 1 ? 's' : ''}\n`);
  return 0;
}
