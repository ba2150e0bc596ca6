// `npm run fuzz -- --seconds N [--seed S]`: the fuzz targets of tests/fuzz-cases.ts in turn, for N seconds
// (default 60) from seed S (default 1), printing the cases tried and every failure with the target, seed and
// case number that reproduce it. Exit code 1 when any case failed.
import { parseArgs } from 'node:util';
import { TARGETS, endings, runCase } from './fuzz-cases.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string', default: '1' } } });
const seconds = Number(values.seconds), seed = Number(values.seed);
if (!(seconds > 0) || !Number.isInteger(seed)) {
  process.stderr.write(`[fuzz] --seconds=${values.seconds} must be a positive number and --seed=${values.seed} an integer\n`);
  process.exit(2);
}

const tried = new Map(TARGETS.map((t) => [t.name, 0]));
const failed = new Map(TARGETS.map((t) => [t.name, 0]));
const failures: string[] = [];
const end = Date.now() + seconds * 1000;
let i = 0;
for (; Date.now() < end; i++) {
  const target = TARGETS[i % TARGETS.length];
  const caseIndex = Math.floor(i / TARGETS.length);
  const why = await runCase(target, seed, caseIndex);
  tried.set(target.name, tried.get(target.name)! + 1);
  if (why) {
    failed.set(target.name, failed.get(target.name)! + 1);
    if (failures.length < 50) failures.push(`${target.name} seed ${seed} case ${caseIndex}: ${why.split('\n')[0]}`);
  }
}

for (const t of TARGETS) {
  const how = [...(endings.get(t.name) ?? [])].map(([what, n]) => `${what} ${n}`).join(', ');
  process.stdout.write(`${t.name.padEnd(28)} ${String(tried.get(t.name)).padStart(7)} cases  ${failed.get(t.name)} failed  (${how})\n`);
}
const total = [...failed.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`${i} cases tried in ${seconds} s from seed ${seed}, ${total} failed\n`);
for (const f of failures) process.stdout.write(`  ${f}\n`);
process.exit(total ? 1 : 0);
