// `osteon eval`: the public evaluate() (runtime/api/evaluate.ts) on a data file.
import { parseArgs } from 'node:util';
import { evaluate } from '../api/evaluate.js';
import { backendFlag } from './args.js';

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
  const result = await evaluate({ model: o.model, adapter: o.adapter, data: o.data, backend: backendFlag(o.backend) });
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`loss ${result.loss.toFixed(6)}  perplexity ${result.perplexity.toFixed(4)}  over ${result.tokens} tokens\n`);
  return 0;
}
