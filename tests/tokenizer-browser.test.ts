// The tokenizer in a real browser: Debian's headless Chromium loads dist/osteon.browser.js from a localhost
// server, builds Tokenizers from tokenizer.json text fetched over HTTP (a byte-level one and a SentencePiece
// one) and encodes and decodes the edge cases; the ids and texts must equal what Node computes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { EDGE_CASES, lenmlTokenizer } from './tokenizer-cases.js';

const CHROMIUM = '/usr/bin/chromium';
const NAMES = ['gpt4o', 'llama2'];
const required = process.env.OSTEON_REQUIRE_WEBGPU === '1'; // CI, which installs Chromium, sets it
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

const browserSuite = suite('tokenizer-browser');
let server: Server;
let browser: Browser | null = null;
let base = '';

browserSuite.before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><meta charset="utf-8"><title>osteon</title>');
    } else if (url === '/osteon.browser.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(readFileSync(join(root, 'dist', 'osteon.browser.js')));
    } else if (url.startsWith('/tokenizer/') && NAMES.includes(url.slice(11))) {
      res.setHeader('content-type', 'application/json');
      res.end(readFileSync(lenmlTokenizer(url.slice(11))));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  if (!existsSync(CHROMIUM)) {
    if (required) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
    console.warn(`skipped: browser tests need ${CHROMIUM}`);
    return;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'] });
});

browserSuite.after(async () => {
  await browser?.close();
  server.close();
});

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
    if (!browser) return;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
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

browserSuite.run();
