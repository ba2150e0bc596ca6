// `osteon info` and `osteon doctor` (which also checks each WebGPU kernel variant the adapter did not pick).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Backend, BackendInfo } from '../backend.js';
import { availableBackends } from '../select.js';
import { builtinCases } from '../doctor/builtin.js';
import { runDoctor } from '../doctor/doctor.js';
import { F32_REL } from '../tolerances.js';

function describe(info: BackendInfo): string {
  const details = Object.entries(info.details).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  return `  ${info.name}: ${info.device}${details ? `\n${details}` : ''}`;
}

async function withBackends<T>(use: (backends: Backend[]) => Promise<T>, everyVariant = false): Promise<T> {
  const backends = await availableBackends(everyVariant);
  try {
    return await use(backends);
  } finally {
    for (const b of backends) b.destroy();
  }
}

export async function infoCommand(): Promise<number> {
  return withBackends(async (backends) => {
    process.stdout.write(`backends found:\n${backends.map((b) => describe(b.info)).join('\n')}\n`);
    if (!backends.some((b) => b.name === 'webgpu')) {
      process.stdout.write('  webgpu: no adapter (install a Vulkan driver such as Mesa lavapipe, or use a browser with WebGPU)\n');
    }
    return 0;
  });
}

async function readCases(dir: string): Promise<Record<string, Uint8Array>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith('.safetensors')).sort();
  } catch (e) {
    throw new Error(`[doctor] cannot read --fixtures ${dir}: ${(e as Error).message}`);
  }
  if (!names.length) throw new Error(`[doctor] no *.safetensors cases in ${dir}`);
  const cases: Record<string, Uint8Array> = {};
  for (const f of names) cases[f.replace(/\.safetensors$/, '')] = new Uint8Array(await readFile(join(dir, f)));
  return cases;
}

export async function doctorCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { fixtures: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const cases = values.fixtures ? await readCases(values.fixtures) : builtinCases;
  return withBackends(async (backends) => {
    const log = (s: string) => { if (!values.json) process.stdout.write(s); };
    log(`backends:\n${backends.map((b) => describe(b.info)).join('\n')}\n\n`);
    log(`checking ${Object.keys(cases).length} cases against PEFT, and attention against the reference backend (tolerance ${F32_REL} relative)\n`);
    const report = await runDoctor(backends, cases, (results) => {
      const worst = results.reduce((m, r) => Math.max(m, r.max_rel_err), 0);
      const failed = results.filter((r) => !r.pass).map((r) => r.tensor);
      const { case: name, backend } = results[0]; // 64: "webgpu (matmul tiled, tile 128x128, halfMath f16, attention tiled)"
      log(`  ${results.every((r) => r.pass) ? 'ok  ' : 'FAIL'} ${name.padEnd(16)} ${backend.padEnd(64)} worst ${worst.toExponential(2)}` +
        `${failed.length ? `  failed: ${failed.join(', ')}` : ''}\n`);
    });
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else log(report.pass ? '\nall cases pass\n' : '\nSOME CASES FAIL: do not trust this backend for training\n');
    return report.pass ? 0 : 1;
  }, true);
}
