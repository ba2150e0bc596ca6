// `osteon web`: serve the fine-tuning page (dist/web, built by build.mjs) on localhost. The page is
// cross-origin isolated (COOP + COEP headers) so WebAssembly threads can share memory; any static host that
// sends the same two headers serves dist/web just as well, with dist/builtin (the built-in model and task,
// which the page's library looks for beside itself) at /builtin/. Files are served with HTTP Range support,
// so a model folder placed under dist/web can be loaded by URL with ranged reads.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { numberFlag } from './args.js';
import { OsteonError } from '../errors.js';

export const WEB_HELP = `osteon web [--port N] [--host H] [--no-isolate]
  Serve the fine-tuning page on http://H:N/ (default 127.0.0.1:8080); open it in a browser with WebGPU
  (Chrome, Edge, Safari 26) or any browser for WebAssembly. --no-isolate leaves out the COOP/COEP headers
  (WebAssembly then runs on one thread).
`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.map': 'application/json', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.wasm': 'application/wasm', '.css': 'text/css',
};

/** The folder the page was built into, beside this bundle (dist/web). */
export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'web');
/** The built-in model and task data, beside this bundle (dist/builtin), served at /builtin/. */
const BUILTIN_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'builtin');

export interface WebServerOptions { root?: string; port?: number; host?: string; isolate?: boolean }

/** Start serving `root`; resolves once listening. */
export async function serveWeb(o: WebServerOptions = {}): Promise<{ server: Server; url: string }> {
  const root = resolve(o.root ?? WEB_ROOT);
  if (!existsSync(join(root, 'index.html'))) throw new OsteonError('web', `${root} has no index.html; run \`npm run build\` first`);
  const server = createServer((req, res) => {
    const asked = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const [base, path] = asked.startsWith('/builtin/') ? [BUILTIN_ROOT, asked.slice('/builtin'.length)] : [root, asked];
    const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path));
    if (o.isolate !== false) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cache-Control', 'no-cache');
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    const size = statSync(file).size;
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Accept-Ranges', 'bytes');
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (range) {
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    res.setHeader('Content-Length', Math.max(0, end - start + 1));
    if (req.method === 'HEAD' || end < start) { res.end(); return; }
    createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(new OsteonError('web', e.code === 'EADDRINUSE'
      ? `port ${o.port} is in use; choose another with --port` : `could not listen: ${e.message}`)));
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', ok);
  });
  const address = server.address() as { port: number; address: string };
  return { server, url: `http://${o.host ?? '127.0.0.1'}:${address.port}/` };
}

export async function webCommand(args: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args,
    options: {
      port: { type: 'string' }, host: { type: 'string' }, 'no-isolate': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) { process.stdout.write(WEB_HELP); return 0; }
  const { url } = await serveWeb({ port: numberFlag(o.port, 'port') ?? 8080, host: o.host, isolate: !o['no-isolate'] });
  process.stderr.write(`osteon: the fine-tuning page is at ${url} (Ctrl-C stops the server)\n`);
  await new Promise(() => {}); // serve until interrupted
  return 0;
}
