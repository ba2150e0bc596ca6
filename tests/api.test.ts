// The public jobs (finetune, evaluate, generate, merge) in Node: every source form (paths, URLs with and
// without HTTP Range, Maps of files), checkpoint stores, cancellation within one step, and a cancelled run
// resumed to exactly the losses and adapter of an uninterrupted one.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FinetuneEvent, type FinetuneOptions, finetune } from '../runtime/api/finetune.js';
import { evaluate } from '../runtime/api/evaluate.js';
import { generate } from '../runtime/api/generate.js';
import { merge } from '../runtime/api/merge.js';
import { memoryStore } from '../runtime/api/store.js';
import { readSafetensors } from '../runtime/safetensors.js';
import { MODEL_REL } from './tolerances.js';
import { fastBackends, FIXTURE_ROWS, fixturesDir } from './helpers.js';
import { TINY_ROWS, TINY_TRAIN, tinyModelFiles } from './tiny-model.js';
import type { Backend } from '../runtime/backend.js';
import '../runtime/node.js';

const api = suite('api');
const modelDir = join(fixturesDir, 'llama-bone', 'model');
const rows = FIXTURE_ROWS;
const small: FinetuneOptions = { backend: 'wasm', steps: 6, batch: 2, seq: 16, r: 16, lr: 1e-2, warmup: 1, seed: 3, heldOut: 2 };

/** A folder served over HTTP, honouring Range requests or not; counts the body bytes it sends. */
async function serveFolder(dir: string, ranges: boolean): Promise<{ base: string; sent: () => number; largest: () => number; server: Server }> {
  let sent = 0, largest = 0;
  const server = createServer((req, res) => {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, decodeURIComponent(req.url!.slice(1))));
    } catch {
      res.statusCode = 404;
      res.end();
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (ranges && range) {
      body = body.subarray(Number(range[1]), Number(range[2]) + 1);
      res.statusCode = 206;
    }
    res.setHeader('content-length', body.length);
    if (req.method === 'HEAD') { res.end(); return; }
    sent += body.length;
    largest = Math.max(largest, body.length);
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { base: `http://127.0.0.1:${port}/`, sent: () => sent, largest: () => largest, server };
}

const folderBytes = (dir: string) => readdirSync(dir).reduce((s, f) => s + readFileSync(join(dir, f)).length, 0);
const adapterBytes = (files: Map<string, Uint8Array>) => files.get('adapter_model.safetensors')!;

api('finetune by path: PEFT files, a loss curve and log; progress events; held-out loss', async () => {
  const events: FinetuneEvent[] = [];
  const run = await finetune({ ...small, model: modelDir, data: rows, onProgress: (e) => events.push(e) });
  assert.equal([...run.files.keys()].sort(), ['adapter_config.json', 'adapter_model.safetensors', 'loss.svg', 'training_log.json']);
  assert.is(run.losses.length, 6);
  assert.ok(run.losses[5] < run.losses[0] - 0.05, `loss ${run.losses[0]} -> ${run.losses[5]} did not go down`);
  assert.ok(run.heldOutLoss !== null && Number.isFinite(run.heldOutLoss));
  const start = events.find((e) => e.kind === 'start');
  assert.ok(start && start.kind === 'start' && start.trainable === run.trainable && start.adapterBytes === 16 * run.trainable);
  const steps = events.filter((e) => e.kind === 'step');
  assert.equal(steps.map((e) => e.step), [1, 2, 3, 4, 5, 6]);
  assert.ok(steps.every((e) => e.kind === 'step' && e.tokensPerSecond > 0 && e.etaSeconds >= 0));
  assert.ok(new TextDecoder().decode(run.files.get('loss.svg')).startsWith('<svg'));
  readSafetensors(adapterBytes(run.files), 'adapter'); // a valid safetensors file
});

api('cancel stops within one step and keeps a checkpoint; resuming ends exactly as the uninterrupted run', async () => {
  const whole = await finetune({ ...small, model: modelDir, data: rows });
  const store = memoryStore();
  const cancel = new AbortController();
  let last = 0;
  const err = await finetune({
    ...small, model: modelDir, data: rows, checkpoint: store, checkpointEvery: 0, signal: cancel.signal,
    onProgress: (e) => { if (e.kind === 'step') { last = e.step; if (e.step === 3) cancel.abort(); } },
  }).then(() => null, (e: Error) => e);
  assert.ok(err && err.name === 'AbortError', `expected an AbortError, got ${err}`);
  // Step 4 was queued while step 3's numbers came back (Trainer.run): it finishes and is kept; no other runs.
  assert.is(last, 4, 'only the step queued before the cancel ran after it');
  assert.ok(await store.get('checkpoint.safetensors'), 'the cancelled run kept a checkpoint');
  const resumed = await finetune({ ...small, model: modelDir, data: rows, checkpoint: store, resume: true });
  assert.equal(resumed.losses, whole.losses);
  assert.equal(adapterBytes(resumed.files), adapterBytes(whole.files));
  const none = await finetune({ ...small, model: modelDir, data: rows, resume: true, checkpoint: memoryStore('empty') }).catch((e: Error) => e.message);
  assert.match(String(none), '[resume] no checkpoint to resume from in empty');
});

api('a model over HTTP: Range reads fetch only the needed bytes; a server without Range is read once per file', async () => {
  const local = await evaluate({ backend: 'wasm', model: modelDir, data: rows });
  for (const ranges of [true, false]) {
    const served = await serveFolder(modelDir, ranges);
    try {
      const remote = await evaluate({ backend: 'wasm', model: served.base, data: rows });
      assert.equal(remote, local);
      // Every byte at most once (plus the 2-byte probe that the file ends where its header says); with Range,
      // never the whole weights file in one response.
      assert.ok(served.sent() <= folderBytes(modelDir) + 2, `${ranges ? 'ranged' : 'whole'}: sent ${served.sent()} bytes for a ${folderBytes(modelDir)}-byte folder`);
      const weights = readFileSync(join(modelDir, 'model.safetensors')).length;
      if (ranges) assert.ok(served.largest() < weights / 4, `a ranged read sent ${served.largest()} bytes at once`);
      else assert.is(served.largest(), weights);
    } finally {
      served.server.close();
    }
  }
  const missing = await evaluate({ backend: 'wasm', model: 'http://127.0.0.1:9/none/', data: rows }).catch((e: Error) => e.message);
  assert.match(String(missing), 'has no config.json');
});

api('evaluate, generate and merge take the files of a finished run as the adapter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'osteon-api-'));
  const data = join(dir, 'rows.jsonl');
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n'));
  const run = await finetune({ ...small, model: modelDir, data });
  const base = await evaluate({ backend: 'wasm', model: modelDir, data });
  const tuned = await evaluate({ backend: 'wasm', model: modelDir, adapter: run.files, data });
  assert.ok(tuned.loss < base.loss, `adapter loss ${tuned.loss} is not below the base model's ${base.loss}`);
  const merged = await merge({ backend: 'wasm', model: modelDir, adapter: run.files });
  assert.ok(merged.has('config.json') && merged.has('model.safetensors'));
  const viaMerged = await evaluate({ backend: 'wasm', model: merged, data });
  assert.ok(Math.abs(viaMerged.loss - tuned.loss) <= MODEL_REL * tuned.loss, `merged ${viaMerged.loss} vs adapter ${tuned.loss}`);

  // A model with a tokenizer: generated pieces stream, and merged or not the text is the same.
  const tiny = tinyModelFiles();
  const tuned5 = await finetune({ backend: 'wasm', model: tiny, data: TINY_ROWS, ...TINY_TRAIN, steps: 5, seed: 1 });
  const text = async (mergeFirst: boolean) => {
    const pieces: string[] = [];
    for await (const p of generate({ backend: 'wasm', model: tiny, adapter: tuned5.files, merge: mergeFirst, prompt: 'Q: What is Bone?\nA:', maxNewTokens: 12 })) pieces.push(p);
    return pieces;
  };
  const streamed = await text(false);
  assert.ok(streamed.length > 1, 'text arrives in pieces');
  assert.is((await text(true)).join(''), streamed.join(''));
});

api('a model too large for the backend fails before loading, naming its size, the limit and the way out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'osteon-big-'));
  // Llama-3.2-3B's shape, with a vocabulary big enough that its embedding alone passes any 4 GiB buffer.
  const config = {
    model_type: 'llama', vocab_size: 2 ** 20, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 28,
    num_attention_heads: 24, num_key_value_heads: 8, head_dim: 128, tie_word_embeddings: true,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const expected = { wasm: /weights need [\d.]+ GiB as float32, more than the wasm backend's 4 GiB.*use the webgpu backend/, webgpu: /embed_tokens.weight \[1048576,3072\] takes (6\.0 GiB in float16|12\.0 GiB as float32).*maxBufferSize/ };
  for (const backend of await fastBackends()) {
    const err = await evaluate({ backend: backend as Backend, model: dir, data: rows }).then(() => 'loaded', (e: Error) => e.message);
    assert.match(err, expected[backend.name as 'wasm' | 'webgpu'], `${backend.name}: ${err}`);
  }
});

api.run();
