// Test runner: runs every bundled tests/*.test.ts with uvu in one process, prints the plain summary
// line "N passed, N failed, N skipped", then releases the GPU so the process exits.
// Usage: node build/tests/run.mjs [substring-of-file-name ...]
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { closeTestBackends } from './helpers.js';

type Outcome = [errors: string, ran: number, skipped: number, total: number];
type Queue = [string | null, ...(() => Promise<Outcome>)[]][];
const g = globalThis as unknown as { UVU_DEFER: number; UVU_INDEX: number; UVU_QUEUE: Queue };

g.UVU_DEFER = 1;
const uvu = await import('uvu');
const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

let index = 0;
for (const f of files) {
  g.UVU_INDEX = index++;
  g.UVU_QUEUE.push([f.replace('.test.mjs', '')]);
  await import(pathToFileURL(join(here, f)).href);
}

let passed = 0, failed = 0, skipped = 0;
for (const group of g.UVU_QUEUE) {
  for (let i = 1; i < group.length; i++) {
    const run = group[i] as () => Promise<Outcome>;
    group[i] = async () => {
      const outcome = await run();
      const [, ran, skip, total] = outcome;
      passed += ran;
      skipped += skip;
      failed += total - ran - skip;
      return outcome;
    };
  }
}
await uvu.exec();
await closeTestBackends();
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || files.length === 0 ? 1 : (process.exitCode ?? 0));
