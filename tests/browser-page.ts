// Shared plumbing of the browser tests: a localhost server for the page, the browser bundle and the test's
// own files, and Debian's headless Chromium (WebGPU through SwiftShader) driven by playwright-core.
// Without Chromium the tests say so and skip, unless OSTEON_REQUIRE_WEBGPU=1 (CI, which installs it).
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { fixturesDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
export const browserRequired = process.env.OSTEON_REQUIRE_WEBGPU === '1';

export interface BrowserSession {
  /** The page's address, e.g. http://127.0.0.1:41234 */
  base: string;
  /** null when Chromium is missing and not required. */
  browser: Browser | null;
  close(): Promise<void>;
}

/** Debian's headless Chromium with WebGPU (SwiftShader); null, with a visible skip, when it is missing and
 *  not required. */
export async function launchChromium(): Promise<Browser | null> {
  if (existsSync(CHROMIUM)) {
    return chromium.launch({
      executablePath: CHROMIUM,
      args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  }
  if (browserRequired) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
  console.warn(`skipped: browser tests need ${CHROMIUM}`);
  return null;
}

/** Serve `/` (an empty page), `/osteon.browser.js` and whatever `route(url)` returns (null: 404). */
export async function openBrowser(route: (url: string) => Uint8Array | string | null): Promise<BrowserSession> {
  const bundle = join(fixturesDir, '..', '..', 'dist', 'osteon.browser.js');
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const body = url === '/' ? '<!doctype html><meta charset="utf-8"><title>osteon</title>'
      : url === '/osteon.browser.js' ? readFileSync(bundle) : route(url);
    if (body === null) {
      res.statusCode = 404;
      res.end();
      return;
    }
    if (url === '/') res.setHeader('content-type', 'text/html');
    if (url.endsWith('.js')) res.setHeader('content-type', 'text/javascript');
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  let browser: Browser | null;
  try {
    browser = await launchChromium();
  } catch (e) {
    server.close();
    throw e;
  }
  return { base, browser, close: async () => { await browser?.close(); server.close(); } };
}
