// `osteon merge`: fold an adapter into the base weights and write the merged model as a Hugging Face
// folder (config.json, model.safetensors, and the tokenizer files copied alongside).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAdapter } from '../peft/adapter.js';
import { nodeFiles, writeFiles } from '../model/node-files.js';
import { exportModel } from '../model/export.js';
import { builtinTokenizerJson } from '../builtin/tokenizer.js';
import { openBackend, openModel } from './session.js';

export const MERGE_HELP = `osteon merge --adapter DIR --out DIR [--model DIR] [--backend B]
  Merge the adapter into the base model (default: the built-in model) and write the merged checkpoint.
`;

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];

export async function mergeCommand(args: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args,
    options: {
      model: { type: 'string' }, adapter: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) { process.stdout.write(MERGE_HELP); return 0; }
  if (!o.adapter || !o.out) throw new Error(`[merge] --adapter and --out are required\n\n${MERGE_HELP}`);
  const out = resolve(o.out);
  const backend = await openBackend(o.backend);
  try {
    const opened = await openModel(backend, o.model);
    await loadAdapter(opened.model, nodeFiles(resolve(o.adapter)));
    opened.model.merge();
    mkdirSync(out, { recursive: true });
    await writeFiles(out, await exportModel(opened.model));
    if (o.model) {
      for (const f of TOKENIZER_FILES) if (existsSync(join(o.model, f))) copyFileSync(join(o.model, f), join(out, f));
    } else {
      await writeFiles(out, { 'tokenizer.json': JSON.stringify(builtinTokenizerJson()) });
    }
    process.stderr.write(`wrote the merged model to ${out}\n`);
    return 0;
  } finally {
    backend.destroy();
  }
}
