// The built-in model: the files that ship load through the ordinary loader in transformers' llama layout
// with float16 weights, its tokenizer is the one the recipe trains, it writes recognisable English (the words
// of a sampled continuation are words of its corpus) and its held-out loss is the one its log records; and
// the pretraining script itself runs a few steps end to end (CI never pretrains the real thing).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate, generate } from '../runtime/node.js';
import { BUILTIN_FOLDER, BUILTIN_SAMPLE } from '../runtime/builtin/builtin.js';
import { parseModelConfig } from '../runtime/model/config.js';
import { weightShapes } from '../runtime/model/llama.js';
import { readSafetensors } from '../runtime/safetensors.js';
import { Tokenizer } from '../runtime/tokenizer/index.js';
import { corpus } from '../pretrain/corpus.js';
import { EOS_TOKEN, MODEL_CONFIG, heldOutRows, splitCorpus } from '../pretrain/recipe.js';

const pretrain = suite('built-in model');
const here = dirname(fileURLToPath(import.meta.url));
const shipped = fileURLToPath(BUILTIN_FOLDER);
const read = (name: string) => readFileSync(join(shipped, name));
/** The log the pretraining wrote beside the model in the repository. */
const log = JSON.parse(readFileSync(join(here, '..', '..', 'builtin', 'pretrain_log.json'), 'utf8'));
const words = (text: string) => text.toLowerCase().match(/[a-z]+/g) ?? [];

pretrain('the shipped folder is the recipe, in llama layout, every weight float16', () => {
  const config = JSON.parse(read('config.json').toString());
  assert.equal(config, { ...MODEL_CONFIG, torch_dtype: 'float16' });
  const file = readSafetensors(read('model.safetensors'));
  const shapes = weightShapes(parseModelConfig(config));
  assert.equal([...file.tensors.keys()].sort(), [...shapes.keys()].sort());
  for (const [name, t] of file.tensors) {
    assert.is(t.dtype, 'F16', name);
    assert.equal(t.shape, shapes.get(name), name);
  }
  const tok = Tokenizer.fromJSON(read('tokenizer.json').toString());
  const text = 'Call me Ishmael. In the beginning God created the heaven and the earth.';
  assert.is(tok.decode(tok.encode(text, { addSpecialTokens: false })), text);
  assert.is(JSON.parse(read('generation_config.json').toString()).eos_token_id, tok.tokenToId(EOS_TOKEN));
});

pretrain('it writes recognisable English, and its held-out loss is the one its log records', async () => {
  let text = '';
  for await (const piece of generate({ ...BUILTIN_SAMPLE, backend: 'wasm' })) text += piece;
  // English, not a word salad: the words are the corpus's, and so are many of their runs of three (a model
  // that has learned only which words are common gets about one in ten of those; this one about half).
  const corpusWords = corpus().flatMap((d) => words(d.text));
  const known = new Set(corpusWords);
  const triples = new Set(corpusWords.slice(2).map((w, i) => `${corpusWords[i]} ${corpusWords[i + 1]} ${w}`));
  const said = words(`${BUILTIN_SAMPLE.prompt}${text}`);
  const inCorpus = said.filter((w) => known.has(w)).length / said.length;
  const runs = said.slice(2).filter((w, i) => triples.has(`${said[i]} ${said[i + 1]} ${w}`)).length / (said.length - 2);
  assert.ok(said.length >= 12 && inCorpus >= 0.85 && runs >= 0.3,
    `"${text}": ${(100 * inCorpus).toFixed(0)}% of ${said.length} words and ${(100 * runs).toFixed(0)}% of their runs of three are the corpus's`);

  const tok = Tokenizer.fromJSON(read('tokenizer.json').toString());
  const rows = heldOutRows(tok, splitCorpus(corpus()).held, tok.tokenToId(EOS_TOKEN)!);
  const { loss } = await evaluate({ data: rows, backend: 'wasm' });
  const logged = log.heldOut.float16.loss;
  assert.ok(Math.abs(loss - logged) <= 1e-4 * logged, `held-out loss ${loss}, logged ${logged}`);
  assert.ok(Math.exp(loss) < 40, `held-out perplexity ${Math.exp(loss)}`);
});

pretrain('the pretraining script runs a few steps and writes the same kind of folder, with the shipped tokenizer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'osteon-pretrain-'));
  try {
    const script = join(here, '..', 'pretrain', 'main.mjs');
    const run = spawnSync(process.execPath, [script, '--steps', '2', '--eval-rows', '4', '--out', join(dir, 'out'), '--work', join(dir, 'work')],
      { encoding: 'utf8', timeout: 300_000 });
    assert.is(run.status, 0, run.stderr);
    const out = (name: string) => readFileSync(join(dir, 'out', name));
    assert.equal(JSON.parse(out('config.json').toString()), JSON.parse(read('config.json').toString()));
    assert.ok(out('tokenizer.json').equals(read('tokenizer.json')), 'the recipe trains the tokenizer that ships');
    const logged = JSON.parse(out('pretrain_log.json').toString());
    assert.is(logged.history.length, 2);
    assert.ok(logged.history[1].loss < logged.history[0].loss, 'the loss falls');
    assert.match(out('pretrain_loss.svg').toString(), /<svg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

pretrain.run();
