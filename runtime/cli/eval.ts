// `osteon eval`: mean token loss and perplexity of a model (optionally with an adapter) over a data file.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAdapter } from '../peft/adapter.js';
import { nodeFiles } from '../model/node-files.js';
import { examplesFromJsonl, examplesFromText, toBatches } from '../train/data.js';
import { evaluate } from '../train/trainer.js';
import { openBackend, openModel } from './session.js';

export const EVAL_HELP = `osteon eval --data FILE [--model DIR] [--adapter DIR] [--json] [--backend B]
  Mean token cross-entropy (each position predicting the next label; -100 = not scored) and perplexity.
  FILE: .jsonl rows ({"input_ids": [...], "labels": [...]} with labels optional, or text rows) or .txt.
`;

export async function evalCommand(args: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args,
    options: {
      model: { type: 'string' }, adapter: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean', default: false },
      backend: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) { process.stdout.write(EVAL_HELP); return 0; }
  if (!o.data) throw new Error(`[eval] --data FILE is required\n\n${EVAL_HELP}`);
  const file = resolve(o.data);
  if (!existsSync(file)) throw new Error(`[eval] ${file} does not exist`);
  const backend = await openBackend(o.backend);
  try {
    const opened = await openModel(backend, o.model);
    if (o.adapter) await loadAdapter(opened.model, nodeFiles(resolve(o.adapter)));
    const bytes = readFileSync(file);
    const vocab = opened.config.vocabSize;
    const examples = file.endsWith('.txt')
      ? examplesFromText(bytes, opened.tokenizer ?? (() => { throw new Error('[eval] a .txt file needs a tokenizer.json in the model folder'); })(), file, vocab)
      : examplesFromJsonl(bytes, opened.tokenizer, file, opened.eos, vocab);
    // One example per batch: rows keep their own lengths, so nothing is padded or cut.
    const result = await evaluate(opened.model, examples.flatMap((e) => toBatches([e], 1)));
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`loss ${result.loss.toFixed(6)}  perplexity ${result.perplexity.toFixed(4)}  over ${result.tokens} tokens\n`);
    return 0;
  } finally {
    backend.destroy();
  }
}
