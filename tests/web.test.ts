// The fine-tuning page (dist/web, served by `osteon web`'s server) in headless Chromium: it trains the tests'
// tiny model (tests/tiny-model.ts), picked through its model folder and data file inputs, in a Web Worker on WebGPU (SwiftShader) and on WebAssembly with threads (cross-origin
// isolated) and without (not isolated); the adapter equals the one finetune() trains in Node with the same
// options; a reload resumes from OPFS and ends with the uninterrupted run's losses; cancel stops within one
// step; broken uploads show their message and lose nothing; a screenshot shows the loss curve.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser-page.js';
import { serveWeb } from '../runtime/cli/web.js';
import { finetune } from '../runtime/api/finetune.js';
import { readSafetensors, toFloat32 } from '../runtime/safetensors.js';
import { BROWSER_TRAINED_REL } from './tolerances.js';
import { fixturesDir, relError } from './helpers.js';
import { TINY_ROWS, TINY_TRAIN, tinyModelFiles, writeTinyData, writeTinyModel } from './tiny-model.js';
import '../runtime/node.js';

const web = suite('web');
const root = join(fixturesDir, '..', '..', 'dist', 'web');
const STEPS = 16;
let browser: Browser | null = null;
const servers: { close(): void }[] = [];
const base = { isolated: '', plain: '' };
// The tiny model as a folder and its rows as a JSONL file, for the page's file inputs.
const tinyDir = writeTinyModel();
const tinyData = writeTinyData();
const tinyChoice = `Model: ${tinyModelFiles().size} files · data: tiny.jsonl`;

web.before(async () => {
  for (const isolate of [true, false]) {
    const { server, url } = await serveWeb({ root, isolate });
    servers.push(server);
    base[isolate ? 'isolated' : 'plain'] = url;
  }
  browser = await launchChromium();
});
web.after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

interface PageState { status: string; losses: number[]; error: string | null; seconds: number; generated: { before: string; after: string } }
type Win = { osteonPage: { state: PageState & { files: Map<string, Uint8Array> | null } } };

async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1000, height: 1200 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => 'osteonPage' in window);
  return { page, errors };
}

const pageState = (page: Page) => page.evaluate(() => {
  const s = (window as unknown as Win).osteonPage.state;
  return { status: s.status, losses: s.losses, error: s.error, seconds: s.seconds, generated: s.generated };
});
const adapterFromPage = (page: Page) => page.evaluate(() => Array.from((window as unknown as Win).osteonPage.state.files!.get('adapter_model.safetensors')!));
const untilStatus = (page: Page, states: string[], timeout = 240_000) => page.waitForFunction(
  (s) => s.includes((window as unknown as Win).osteonPage.state.status), states, { timeout });

/** Pick the tiny model folder and its data file, as a user does. */
async function chooseTiny(page: Page): Promise<void> {
  await page.setInputFiles('#modelFiles', tinyDir);
  await page.setInputFiles('#dataFile', tinyData);
  assert.is(await page.textContent('#chosen'), tinyChoice);
}

async function trainOnPage(page: Page, backend: string, extra: Record<string, string> = {}): Promise<void> {
  await chooseTiny(page);
  await page.selectOption('#backend', backend);
  await page.fill('#steps', String(STEPS));
  await page.fill('#r', String(TINY_TRAIN.r));
  await page.click('summary'); // the "more options" fields
  const fields = { seq: String(TINY_TRAIN.seq), lr: String(TINY_TRAIN.lr), ...extra };
  for (const [id, value] of Object.entries(fields)) await page.fill(`#${id}`, value);
  await page.click('#train');
}

/** The adapter's tensors, by name, as float32. */
function adapterTensors(bytes: Uint8Array): Map<string, Float32Array> {
  const file = readSafetensors(bytes, 'adapter_model.safetensors');
  return new Map([...file.tensors].map(([k, t]) => [k, toFloat32(t)]));
}

/** Losses of uninterrupted page runs, by backend, for the resume test. */
const uninterrupted: Record<string, number[]> = {};

const runs = [
  { backend: 'webgpu', url: () => base.isolated, device: 'swiftshader' },
  { backend: 'wasm', url: () => base.isolated, device: 'threads' },
  { backend: 'wasm', url: () => base.plain, device: '1 thread' },
];
for (const run of runs) {
  web(`the page fine-tunes the tiny model in a worker on ${run.backend} (${run.device}) and equals Node's adapter`, async () => {
    if (!browser) return;
    const { page, errors } = await openPage(run.url());
    await trainOnPage(page, run.backend);
    await untilStatus(page, ['done', 'error']);
    await page.waitForFunction(() => !document.querySelector('#status')!.textContent!.startsWith('Generating'), null, { timeout: 120_000 });
    const s = await pageState(page);
    assert.is(s.error, null, `page error: ${s.error} ${errors.join('; ')}`);
    assert.is(s.losses.length, STEPS);
    assert.ok(s.losses[STEPS - 1] < s.losses[0], `loss ${s.losses[0]} -> ${s.losses[STEPS - 1]} did not go down`);
    assert.match(await page.textContent('#device') ?? '', run.device);
    assert.ok(s.generated.before.length > 0 && s.generated.after.length > 0, 'both generations arrived');
    uninterrupted[run.backend] ??= s.losses;

    // The same options in Node, on the same kind of backend (WebGPU in float32 weights, as SwiftShader has no f16).
    const node = await finetune({ model: tinyModelFiles(), data: TINY_ROWS, ...TINY_TRAIN, steps: STEPS, backend: run.backend as 'wasm' | 'webgpu', halfWeights: false });
    const fromPage = adapterTensors(Uint8Array.from(await adapterFromPage(page)));
    const fromNode = adapterTensors(node.files.get('adapter_model.safetensors')!);
    assert.equal([...fromPage.keys()], [...fromNode.keys()]);
    let worst = 0;
    for (const [k, t] of fromNode) worst = Math.max(worst, relError(fromPage.get(k)!, t));
    assert.ok(worst <= BROWSER_TRAINED_REL[run.backend as 'wasm' | 'webgpu'], `${run.backend}: page and Node adapters differ by ${worst}`);
    console.log(`  ${run.backend} (${run.device}): page ${s.seconds.toFixed(2)} s, Node ${node.seconds.toFixed(2)} s for ${STEPS} steps; largest adapter difference ${worst.toExponential(2)}`);

    // The library is on the page for scripts: the picked files are a model folder and data it takes.
    const viaWindow = await page.evaluate(() => {
      const picked = (id: string) => document.querySelector<HTMLInputElement>(id)!.files!;
      const { osteon } = window as unknown as { osteon: { evaluate(o: object): Promise<{ loss: number }> } };
      return osteon.evaluate({ backend: 'wasm', model: picked('#modelFiles'), data: picked('#dataFile')[0] }).then((r) => r.loss);
    });
    assert.ok(Number.isFinite(viaWindow));
    await page.context().close();
  });
}

web('with nothing chosen, the library reads the built-in model and task over HTTP from /builtin/', async () => {
  const { page, errors } = await openPage(base.isolated);
  assert.match(await page.textContent('#chosen') ?? '', /Model: built-in · data: built-in/);
  const result = await page.evaluate(async () => {
    const o = (window as unknown as { osteon: typeof import('../runtime/browser.js') }).osteon;
    let text = '';
    for await (const piece of o.generate({ prompt: 'My fellow Americans,', maxNewTokens: 6, backend: 'wasm' })) text += piece;
    const run = await o.finetune({ steps: 2, batch: 1, seq: 32, heldOut: 0, backend: 'wasm' });
    return { text, losses: run.losses, files: [...run.files.keys()] };
  });
  assert.ok(result.text.length > 0, 'a continuation');
  assert.is(result.losses.length, 2);
  assert.ok(result.losses.every(Number.isFinite), `losses ${result.losses}`);
  assert.ok(result.files.includes('adapter_model.safetensors'));
  assert.equal(errors, []);
  await page.context().close();
});

web('a screenshot after training shows the loss curve', async () => {
  if (!browser) return;
  const { page } = await openPage(base.isolated);
  await trainOnPage(page, 'wasm');
  await untilStatus(page, ['done']);
  const png = await page.locator('#curve').screenshot();
  // Count the curve's own colour (#1f77b4) in the screenshot, decoded by the browser.
  const curvePixels = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = new OffscreenCanvas(img.width, img.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, img.width, img.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 0x1f) < 40 && Math.abs(px[i + 1] - 0x77) < 40 && Math.abs(px[i + 2] - 0xb4) < 40) n++;
    return n;
  }, png.toString('base64'));
  assert.ok(curvePixels > 500, `the curve covers only ${curvePixels} pixels of the screenshot`);
  await page.context().close();
});

web('a reload resumes from the checkpoint in OPFS and ends with the uninterrupted losses', async () => {
  if (!browser) return;
  const { page } = await openPage(base.isolated);
  await trainOnPage(page, 'webgpu', { checkpointEvery: '4' });
  await page.waitForFunction(() => (window as unknown as Win).osteonPage.state.losses.length >= 10, null, { timeout: 240_000 });
  await page.reload();
  await page.waitForSelector('#resumeBox.shown');
  assert.match(await page.textContent('#resumeText') ?? '', /stopped at step (8|12) of 16/);
  await chooseTiny(page); // a reload forgets the picked files: the same ones again
  await page.click('#resume');
  await untilStatus(page, ['done', 'error']);
  const s = await pageState(page);
  assert.is(s.error, null);
  assert.equal(s.losses, uninterrupted.webgpu);
  await page.context().close();
});

web('cancel stops within one step; a broken upload shows its message and keeps the checkpoint', async () => {
  if (!browser) return;
  const { page } = await openPage(base.isolated);
  await trainOnPage(page, 'webgpu', { checkpointEvery: '2' });
  await page.waitForFunction(() => (window as unknown as Win).osteonPage.state.losses.length >= 3, null, { timeout: 240_000 });
  const atCancel = await page.evaluate(() => {
    document.querySelector<HTMLButtonElement>('#cancel')!.click();
    return (window as unknown as Win).osteonPage.state.losses.length;
  });
  await untilStatus(page, ['cancelled']);
  const stopped = Number(/step (\d+)/.exec(await page.textContent('#status') ?? '')![1]);
  assert.ok(stopped <= atCancel + 1, `cancelled at step ${stopped}, clicked at ${atCancel}`);
  await page.waitForSelector('#resumeBox.shown');

  // Data with a broken second line: the message names the file and the line; the checkpoint stays.
  const dir = mkdtempSync(join(tmpdir(), 'osteon-web-'));
  writeFileSync(join(dir, 'broken.jsonl'), '{"text": "fine"}\n{"text": oops}\n');
  await page.setInputFiles('#dataFile', join(dir, 'broken.jsonl'));
  await page.click('#train');
  await untilStatus(page, ['error']);
  assert.match(await page.textContent('#error') ?? '', 'broken.jsonl:2');
  await page.reload();
  await page.waitForSelector('#resumeBox.shown');
  assert.match(await page.textContent('#resumeText') ?? '', `stopped at step ${stopped} of 16`);

  // A folder that is not a model: said at once, before any work, and the model picked before stays.
  await chooseTiny(page);
  writeFileSync(join(dir, 'notes.txt'), 'not a model');
  await page.setInputFiles('#modelFiles', dir);
  assert.match(await page.textContent('#error') ?? '', 'no config.json');
  assert.is(await page.textContent('#chosen'), tinyChoice);

  // A model too large for this GPU: refused from its config.json before a weight (or the data) is read.
  const big = mkdtempSync(join(tmpdir(), 'osteon-web-big-'));
  writeFileSync(join(big, 'config.json'), JSON.stringify({
    model_type: 'llama', vocab_size: 2 ** 20, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 28,
    num_attention_heads: 24, num_key_value_heads: 8, head_dim: 128, tie_word_embeddings: true,
  }));
  await page.setInputFiles('#modelFiles', big);
  await page.selectOption('#backend', 'webgpu'); // its limit is the one named; automatic would pick wasm here
  await page.click('#train');
  await untilStatus(page, ['error']);
  const tooLarge = await page.textContent('#error') ?? '';
  assert.match(tooLarge, /takes (6\.0 GiB in float16|12\.0 GiB as float32), more than this GPU's largest buffer \(maxBufferSize/, tooLarge);
  await page.context().close();
});

web.run();
