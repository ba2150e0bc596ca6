// The browser bundle in a real browser: Debian's headless Chromium (WebGPU through SwiftShader) loads
// dist/osteon.browser.js from a localhost server and runs a Bone and a Bat PEFT case on WebGPU and on wasm.
// The results must pass against PEFT and equal what the same backends compute in Node.
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

browserSuite.run();
