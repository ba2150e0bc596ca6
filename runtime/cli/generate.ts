// `osteon generate`: the public generate() (runtime/api/generate.ts), printing the text as it comes.
import { parseArgs } from 'node:util';
import { generate } from '../api/generate.js';
import { backendFlag, numberFlag } from './args.js';

export const GENERATE_HELP = `osteon generate --prompt TEXT [options]
  --model DIR          Hugging Face model folder (default: the built-in model)
  --adapter DIR        a PEFT adapter folder to apply        --merge   merge it into the weights first
  --chat               wrap the prompt as a user message with the tokenizer's chat template
  --max-new-tokens N (64)  --temperature T (0 = greedy)  --top-k K (0 = off)  --top-p P (1 = off)  --seed N (0)
  --backend webgpu|wasm|reference
`;

export async function generateCommand(args: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args,
    options: {
      model: { type: 'string' }, adapter: { type: 'string' }, merge: { type: 'boolean', default: false },
      prompt: { type: 'string' }, chat: { type: 'boolean', default: false },
      'max-new-tokens': { type: 'string' }, temperature: { type: 'string' },
      'top-k': { type: 'string' }, 'top-p': { type: 'string' }, seed: { type: 'string' },
      backend: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) { process.stdout.write(GENERATE_HELP); return 0; }
  if (o.prompt === undefined) throw new Error(`[generate] --prompt is required\n\n${GENERATE_HELP}`);
  const n = (name: keyof typeof o) => numberFlag(o[name] as string | undefined, name);
  const pieces = generate({
    model: o.model, adapter: o.adapter, merge: o.merge, prompt: o.prompt, chat: o.chat, backend: backendFlag(o.backend),
    maxNewTokens: n('max-new-tokens'), temperature: n('temperature'), topK: n('top-k'), topP: n('top-p'), seed: n('seed'),
  });
  for await (const piece of pieces) process.stdout.write(piece);
  process.stdout.write('\n');
  return 0;
}
