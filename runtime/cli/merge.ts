// `osteon merge`: the public merge() (runtime/api/merge.ts), written as a Hugging Face folder.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { merge } from '../api/merge.js';
import { writeFiles } from '../model/node-files.js';
import { backendFlag } from './args.js';

export const MERGE_HELP = `osteon merge --adapter DIR --out DIR [--model DIR] [--backend B]
  Merge the adapter into the base model (default: the built-in model) and write the merged checkpoint.
`;

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
  const files = await merge({ model: o.model, adapter: o.adapter, backend: backendFlag(o.backend) });
  await writeFiles(out, Object.fromEntries(files));
  process.stderr.write(`wrote the merged model to ${out}\n`);
  return 0;
}
