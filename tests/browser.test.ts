// The browser bundle in a real browser: Debian's headless Chromium (WebGPU through SwiftShader) loads
// dist/osteon.browser.js from a localhost server and runs a Bone and a Bat PEFT case on WebGPU and on wasm.
// The results must pass against PEFT and equal what the same backends compute in Node; and `osteon doctor`
// (PEFT cases and attention) passes there on every WebGPU kernel design.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserSession, browserRequired, openBrowser } from './browser-page.js';
import { AdaptedLinear } from '../runtime/adapters/linear.js';
import { createBackend } from '../runtime/select.js';
import { type CaseResult, runFixtureCase } from '../runtime/doctor/fixture-case.js';
import { F32_REL } from './tolerances.js';
import { fixtureFloat, fixturesDir, loadFixture, relError } from './helpers.js';
import '../runtime/node.js';

const CASES = ['bone_pad', 'bat_rect'];

interface PageResult { backend: string; device: string; results: CaseResult[]; y: Record<string, number[]> }

const browserSuite = suite('browser');
let session: BrowserSession;

browserSuite.before(async () => {
  session = await openBrowser((url) => (url.startsWith('/case/') && CASES.includes(url.slice(6))
    ? readFileSync(join(fixturesDir, 'peft', `${url.slice(6)}.safetensors`)) : null));
});

browserSuite.after(async () => { await session.close(); });

/** In the page: both backends, every case, results plus the forward output for comparison with Node. */
async function runInPage([cases, backendName]: [string[], string]): Promise<PageResult | string> {
  const bundle = '/osteon.browser.js'; // a variable, so the test's own bundler leaves the import alone
  const osteon = await import(bundle);
  let backend;
  try {
    backend = await osteon.createBackend({ backend: backendName });
  } catch (e) {
    return `no ${backendName} backend in the browser: ${(e as Error).message}`;
  }
  const out: PageResult = { backend: backend.name, device: backend.info.device, results: [], y: {} };
  for (const name of cases) {
    const bytes = new Uint8Array(await (await fetch(`/case/${name}`)).arrayBuffer());
    const file = osteon.readSafetensors(bytes, name);
    out.results.push(...await osteon.runFixtureCase(backend, name, file));
    const t = (k: string) => backend.tensor(file.tensors.get(k).shape, osteon.toFloat32(file.tensors.get(k)), k);
    const layer = new osteon.AdaptedLinear(backend, t('W'), file.tensors.has('bias') ? t('bias') : null, name);
    const variant = file.metadata.variant;
    backend.write(layer.addAdapter('a', { variant, r: Number(file.metadata.r) }).params.block, osteon.toFloat32(file.tensors.get('block')));
    out.y[name] = Array.from(await backend.read(layer.forward(t('x')).y));
  }
  backend.destroy();
  return out;
}

for (const backendName of ['webgpu', 'wasm']) {
  browserSuite(`Bone and Bat cases on ${backendName} in Chromium match PEFT and Node`, async () => {
    if (!session.browser) return;
    const page = await session.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(session.base);
    const result = await page.evaluate(runInPage, [CASES, backendName] as [string[], string]).catch((e: Error) => e.message);
    await page.close();
    if (typeof result === 'string') {
      if (backendName === 'webgpu' && !browserRequired) { console.warn(`skipped: ${result}`); return; }
      assert.unreachable(`${result} ${errors.join('; ')}`);
      return;
    }
    assert.is(result.backend, backendName);
    assert.is(result.results.length, CASES.length * 6); // y, dx, dblock, merged_W, merged_y, unmerged_W
    for (const r of result.results) assert.ok(r.pass, `browser ${backendName} ${r.case} ${r.tensor}: ${r.max_rel_err}`);
    const node = await createBackend({ backend: backendName as 'webgpu' | 'wasm' });
    for (const name of CASES) {
      const f = loadFixture(`peft/${name}.safetensors`);
      const t = (k: string) => node.tensor(f.tensors.get(k)!.shape, fixtureFloat(f, k), k);
      const layer = new AdaptedLinear(node, t('W'), f.tensors.has('bias') ? t('bias') : null, name);
      node.write(layer.addAdapter('a', { variant: f.metadata.variant as 'bone', r: Number(f.metadata.r) }).params.block, fixtureFloat(f, 'block'));
      const yNode = await node.read(layer.forward(t('x')).y);
      const err = relError(result.y[name], yNode);
      assert.ok(err <= F32_REL, `${backendName} ${name}: browser and Node differ by ${err}`);
      // Results from the same kernels in two engines should also pass against PEFT on the Node side.
      assert.ok((await runFixtureCase(node, name, f)).every((r) => r.pass));
    }
    node.destroy();
  });
}

/** In the page: `osteon doctor` on every WebGPU kernel design the adapter offers (availableBackends(true)),
 *  with the cases given plus the attention case; the report, or why there is none. */
async function doctorInPage(cases: string[]): Promise<{ variants: string[]; cases: CaseResult[]; pass: boolean } | string> {
  const bundle = '/osteon.browser.js';
  const osteon = await import(bundle);
  const backends = (await osteon.availableBackends(true)).filter((b: { name: string }) => b.name === 'webgpu');
  if (!backends.length) return 'no WebGPU adapter in the browser';
  const bytes: Record<string, Uint8Array> = {};
  for (const name of cases) bytes[name] = new Uint8Array(await (await fetch(`/case/${name}`)).arrayBuffer());
  try {
    const report = await osteon.runDoctor(backends, bytes);
    return { variants: backends.map((b: { info: { variant?: string } }) => b.info.variant ?? ''), cases: report.cases, pass: report.pass };
  } finally {
    for (const b of backends) b.destroy();
  }
}

browserSuite('every WebGPU kernel design passes osteon doctor in Chromium (SwiftShader): PEFT cases and attention', async () => {
  if (!session.browser) return;
  const page = await session.browser.newPage();
  await page.goto(session.base);
  const result = await page.evaluate(doctorInPage, CASES).catch((e: Error) => e.message);
  await page.close();
  if (typeof result === 'string') {
    if (!browserRequired) { console.warn(`skipped: ${result}`); return; }
    assert.unreachable(result);
    return;
  }
  console.log(`  designs checked in Chromium: ${result.variants.join('; ')}`);
  assert.ok(result.variants.length >= 2, `the adapter's own designs and the others: ${result.variants.join('; ')}`);
  for (const r of result.cases) assert.ok(r.pass, `browser ${r.backend} ${r.case} ${r.tensor}: ${r.max_rel_err}`);
  const attention = result.cases.filter((r) => r.case.startsWith('attention'));
  assert.is(attention.length, 12 * result.variants.length, 'the attention case ran on every design');
  assert.ok(result.pass);
});

browserSuite.run();
