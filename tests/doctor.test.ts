// `osteon doctor` as users run it: the built CLI, its JSON report, and its exit code on a bad case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toFloat32, writeSafetensors, type TensorToWrite } from '../runtime/safetensors.js';
import { fixturesDir, loadFixture } from './helpers.js';

const cli = join(fixturesDir, '..', '..', 'dist', 'cli.js');

test('doctor --fixtures --json checks every case on every backend and passes', () => {
  const out = execFileSync(process.execPath, [cli, 'doctor', '--fixtures', join(fixturesDir, 'peft'), '--json'], { encoding: 'utf8' });
  const report = JSON.parse(out);
  assert.is(report.pass, true);
  const cases = new Set(report.cases.map((c: { case: string }) => c.case));
  assert.is(cases.size, 11, 'the 9 PEFT cases, and attention with and without a window');
  const backends = new Set(report.cases.map((c: { backend: string }) => c.backend));
  for (const b of backends) {
    const attention = report.cases.filter((c: { case: string; backend: string }) => c.backend === b && c.case.startsWith('attention'));
    assert.is(attention.length, 12, `${b}: out, lse, dq, dk, dv and decoded, twice`);
  }
  assert.ok(backends.has('wasm'), 'wasm backend checked');
  if (process.env.OSTEON_REQUIRE_WEBGPU === '1') assert.ok(backends.has('webgpu'), 'webgpu backend checked');
  for (const c of report.cases) assert.ok(typeof c.max_rel_err === 'number' && c.pass === true, JSON.stringify(c));
});

test('doctor fails (exit 1) and names the tensor when a result is wrong', () => {
  const f = loadFixture('peft/bone_r1.safetensors');
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of f.tensors) {
    const data = toFloat32(t);
    if (name === 'merged_y') data[0] += 0.5; // a kernel that got one value wrong
    tensors[name] = { dtype: 'F32', shape: t.shape, data };
  }
  const dir = mkdtempSync(join(tmpdir(), 'osteon-doctor-'));
  writeFileSync(join(dir, 'broken.safetensors'), writeSafetensors(tensors, f.metadata));
  const run = spawnSync(process.execPath, [cli, 'doctor', '--fixtures', dir, '--json'], { encoding: 'utf8' });
  assert.is(run.status, 1);
  const report = JSON.parse(run.stdout);
  assert.is(report.pass, false);
  const bad = report.cases.filter((c: { pass: boolean }) => !c.pass);
  assert.ok(bad.length > 0 && bad.every((c: { tensor: string }) => c.tensor === 'merged_y'), JSON.stringify(bad));
});

test('doctor without --fixtures runs the built-in cases', () => {
  const out = execFileSync(process.execPath, [cli, 'doctor'], { encoding: 'utf8' });
  assert.match(out, /all cases pass/);
  assert.match(out, /bat_two/);
});

test.run();
