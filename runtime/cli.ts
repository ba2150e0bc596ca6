#!/usr/bin/env node
// The `osteon` command: one subcommand per job, each in runtime/cli/.
import './node.js'; // installs Dawn as the WebGPU implementation before any backend is created
import { doctorCommand, infoCommand } from './cli/doctor.js';
import { finetuneCommand } from './cli/finetune.js';
import { evalCommand } from './cli/eval.js';
import { generateCommand } from './cli/generate.js';
import { mergeCommand } from './cli/merge.js';
import { webCommand } from './cli/web.js';
import { benchCommand } from './cli/bench.js';
import { tokenizeCommand } from './tokenizer/cli.js';
import { cliError, joinNegativeValues } from './cli/args.js';

const HELP = `osteon: fine-tune language models with Bone, Bat, mini and LoRA adapters on WebGPU or WebAssembly

usage: osteon <command> [options]

commands:
  finetune [options]            train a Bone, Bat, mini or LoRA adapter (default: built-in model and data);
                                \`osteon finetune --help\` lists the options
  eval --data FILE [--model DIR] [--adapter DIR] [--json]
                                mean loss and perplexity over a data file
  generate --prompt TEXT [--model DIR] [--adapter DIR] [--merge]
                                continue a prompt, streaming the text (greedy or sampled)
  merge --adapter DIR --out DIR [--model DIR]
                                fold an adapter into the base weights and write the merged model
  web [--port N]                serve the fine-tuning page (train in a browser tab, on WebGPU or WebAssembly)
  tokenize --tokenizer FILE [--no-special] [--decode]
                                text on stdin -> token ids (or ids -> text with --decode)
  tokenize --train FILES... --vocab-size N --out FILE [--special-tokens A,B] [--min-frequency K]
                                train a byte-level BPE tokenizer on text files, write its tokenizer.json
  bench [--suite quick|full] [--platforms LIST] [--out DIR]
                                benchmark every platform (Node, Chromium; WebGPU, wasm) beside PyTorch;
                                writes results.json and report.html (\`osteon bench --help\`)
  info                          list the compute backends found here (adapter, limits, features)
  doctor [--fixtures DIR] [--json]
                                check every backend's kernels against PEFT's golden outputs

environment:
  OSTEON_BACKEND=webgpu|wasm    choose the backend (default, or empty: WebGPU on a hardware adapter, else wasm)
`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  info: infoCommand,
  doctor: doctorCommand,
  finetune: finetuneCommand,
  eval: evalCommand,
  generate: generateCommand,
  merge: mergeCommand,
  tokenize: tokenizeCommand,
  web: webCommand,
  bench: benchCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`osteon: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await command(joinNegativeValues(rest));
  } catch (e) {
    throw cliError(e);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  },
);
