// `osteon generate`: continue a prompt with the model (and an adapter, active or merged), printing the
// text as it is generated.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAdapter } from '../peft/adapter.js';
import { nodeFiles } from '../model/node-files.js';
import { generate } from '../generate/generate.js';
import { openBackend, openModel } from './session.js';

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
      'max-new-tokens': { type: 'string', default: '64' }, temperature: { type: 'string', default: '0' },
      'top-k': { type: 'string', default: '0' }, 'top-p': { type: 'string', default: '1' }, seed: { type: 'string', default: '0' },
      backend: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) { process.stdout.write(GENERATE_HELP); return 0; }
  if (o.prompt === undefined) throw new Error(`[generate] --prompt is required\n\n${GENERATE_HELP}`);
  const backend = await openBackend(o.backend);
  try {
    const opened = await openModel(backend, o.model);
    const tok = opened.tokenizer;
    if (!tok) throw new Error('[generate] the model folder has no tokenizer.json');
    if (o.adapter) {
      await loadAdapter(opened.model, nodeFiles(resolve(o.adapter)));
      if (o.merge) opened.model.merge();
    }
    const text = o.chat ? tok.applyChatTemplate([{ role: 'user', content: o.prompt }], { addGenerationPrompt: true }) : o.prompt;
    const prompt = tok.encode(text, { addSpecialTokens: !o.chat });
    const ids: number[] = [];
    let shown = '';
    // Print each new piece of text once it decodes to whole characters (a token may end mid-character).
    const onToken = (id: number) => {
      ids.push(id);
      const decoded = tok.decode(ids, { skipSpecialTokens: true });
      if (decoded.endsWith('\ufffd')) return;
      process.stdout.write(decoded.slice(shown.length));
      shown = decoded;
    };
    await generate(opened.model, prompt, {
      maxNewTokens: Number(o['max-new-tokens']), temperature: Number(o.temperature), topK: Number(o['top-k']),
      topP: Number(o['top-p']), seed: Number(o.seed), stop: opened.eos === undefined ? [] : [opened.eos], onToken,
    });
    const rest = tok.decode(ids, { skipSpecialTokens: true }).slice(shown.length);
    process.stdout.write(`${rest}\n`);
    return 0;
  } finally {
    backend.destroy();
  }
}
