// The method study's parts (bench/study*.ts): the reversal task is deterministic, well formed and keeps its
// test triples out of training; LoRA's rank matches Bone's parameter count; the summary's mean and spread
// and the chart page follow the runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WORDS, answerOf, reverseTask } from '../bench/study-tasks.js';
import { loraRankFor, renderStudy, summarise, type RunRow } from '../bench/study-report.js';
import { parameterCount } from '../runtime/adapters/config.js';
import { parseModelConfig } from '../runtime/model/config.js';
import { weightShapes } from '../runtime/model/llama.js';
import { MODEL_CONFIG } from '../pretrain/recipe.js';

test('reverse: the same seed gives the same rows; no test triple is trained on; answers reverse the prompt', () => {
  const a = reverseTask(200, 30, 7), b = reverseTask(200, 30, 7);
  assert.equal(a, b);
  assert.not.equal(reverseTask(200, 30, 8).test, a.test);
  const words = (p: string) => p.replace(/^Reverse: /, '').replace(/ =>$/, '').split(' ');
  const trained = new Set(a.train.map((r) => words(r.prompt).join(' ')));
  for (const q of a.test) {
    assert.not.ok(trained.has(words(q.prompt).join(' ')), `${q.prompt} is also a training row`);
    assert.is(q.answer, [...words(q.prompt)].reverse().join(' '));
    assert.ok(words(q.prompt).every((w) => WORDS.includes(w)));
  }
  assert.is(a.train[0].completion, ` ${[...words(a.train[0].prompt)].reverse().join(' ')}\n`);
  assert.is(answerOf(' sea ship whale\nReverse: x'), 'sea ship whale');
});

test("LoRA's rank is the one closest to Bone's trainable parameters on the built-in model", () => {
  const config = parseModelConfig(MODEL_CONFIG);
  const projections = [...weightShapes(config)].filter(([n, s]) => s.length === 2 && n.startsWith('model.layers.')).map(([, s]) => s);
  const count = (c: Parameters<typeof parameterCount>[0]) => projections.reduce((s, [out, inF]) => s + parameterCount(c, inF, out), 0);
  const rank = loraRankFor(config, 16), bone = count({ variant: 'bone', r: 16 });
  const gap = (k: number) => Math.abs(count({ variant: 'lora', r: k, alpha: 2 * k }) - bone);
  assert.ok(gap(rank) <= gap(rank - 1) && gap(rank) <= gap(rank + 1), `rank ${rank}`);
});

test('the summary is the mean and half-range over seeds, and the page draws one chart per metric', () => {
  const row = (seed: number, task: 'sotu' | 'reverse', heldOutLoss: number | null, exact: number | null, forgetLoss: number): RunRow => ({
    method: 'bone', task, lr: 1e-3, seed, steps: 10, heldOutLoss, exact, forgetLoss, secondsPerStep: 0.1 * seed, peakTensorBytes: 1 << 20, trainable: 100,
  });
  const runs = [row(1, 'sotu', 3, null, 4.5), row(2, 'sotu', 4, null, 4.7), row(1, 'reverse', null, 0.5, 4.9), row(2, 'reverse', null, 1, 5)];
  const [s] = summarise([{ name: 'bone', method: 'bone', r: 16 }], runs, 4.4);
  assert.equal(s.heldOutLoss, { mean: 3.5, spread: 0.5, min: 3, max: 4 });
  assert.equal(s.exact, { mean: 0.75, spread: 0.25, min: 0.5, max: 1 });
  assert.ok(Math.abs(s.forgetting.mean - 0.2) < 1e-12);
  const html = renderStudy({ summary: [s], base: { sotuHeldOutLoss: 4.2 }, settings: { steps: 10, seeds: [1, 2], chosen: { bone: 1e-3 } }, date: 'today' });
  assert.is(html.match(/<svg/g)?.length, 6);
  assert.match(html, /before: 4\.20/);
});

test.run();
