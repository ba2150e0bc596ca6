// `npm run bench -- <suite> [options]`: runs one developer benchmark (bench/<suite>.ts, bundled to
// build/bench/<suite>.mjs), each of which exports `run(args)`.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suites = readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'main.mjs').map((f) => f.replace('.mjs', ''));
const [name, ...args] = process.argv.slice(2);
if (!name || !existsSync(join(here, `${name}.mjs`))) {
  console.error(`usage: npm run bench -- <suite> [options]\nsuites: ${suites.join(', ')}`);
  process.exit(name ? 2 : 1);
}
const suite = await import(pathToFileURL(join(here, `${name}.mjs`)).href);
await suite.run(args);
process.exit(0);
