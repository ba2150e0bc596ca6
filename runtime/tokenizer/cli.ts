// `osteon tokenize --tokenizer FILE [--no-special] [--decode]`: reads text on stdin, prints the ids (one
// line, space-separated); with --decode reads ids and prints the text. FILE is a tokenizer.json, a folder
// holding one, or the compact binary form. With --train, trains a tokenizer instead (train-cli.ts).
// Returns the exit code; the caller exits.
// It deliberately streams nothing: stdin is read whole, as the ids of a text depend on all of it.
import { Tokenizer } from './tokenizer.js';
import { TRAIN_USAGE, trainCommand } from './train-cli.js';

const USAGE = `usage: osteon tokenize --tokenizer FILE [--no-special] [--decode [--skip-special]] < input
       osteon tokenize --tokenizer FILE --write-binary OUT
  FILE            tokenizer.json, a model folder holding one, or its binary form
  --no-special    do not add the post-processor's special tokens (BOS, ...)
  --decode        read ids (whitespace-separated) and print the decoded text
  --skip-special  with --decode, leave out special tokens
  --write-binary  convert FILE to the compact binary form (loads without parsing JSON) and write it to OUT
${TRAIN_USAGE}`;

/** Where the command reads and writes; the process's streams unless a caller (a test) passes others. */
export interface CommandIO {
  stdin: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  out(text: string): void;
  err(text: string): void;
}

const processIO: CommandIO = {
  stdin: process.stdin,
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

async function readAll(input: CommandIO['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export async function tokenizeCommand(args: string[], io: CommandIO = processIO): Promise<number> {
  if (args.includes('--train')) return trainCommand(args, io, USAGE);
  let file: string | null = null;
  let special = true;
  let decode = false;
  let skipSpecial = false;
  let binaryOut: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--tokenizer' && i + 1 < args.length) file = args[++i];
    else if (a.startsWith('--tokenizer=')) file = a.slice('--tokenizer='.length);
    else if (a === '--no-special') special = false;
    else if (a === '--decode') decode = true;
    else if (a === '--skip-special') skipSpecial = true;
    else if (a === '--write-binary' && i + 1 < args.length) binaryOut = args[++i];
    else if (a === '--help' || a === '-h') { io.out(USAGE + '\n'); return 0; }
    else { io.err(`[tokenize] unknown argument ${JSON.stringify(a)}\n${USAGE}\n`); return 2; }
  }
  if (file === null) { io.err(`[tokenize] --tokenizer FILE is required\n${USAGE}\n`); return 2; }
  try {
    const tokenizer = await Tokenizer.fromFile(file);
    if (binaryOut !== null) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(binaryOut, tokenizer.toBinary());
      return 0;
    }
    const input = await readAll(io.stdin);
    if (decode) {
      const words = input.split(/\s+/).filter(Boolean);
      const ids = words.map((w) => {
        if (!/^\d+$/.test(w)) throw new Error(`[tokenize] --decode reads ids, got ${JSON.stringify(w)}`);
        return Number(w);
      });
      io.out(tokenizer.decode(ids, { skipSpecialTokens: skipSpecial }));
    } else {
      io.out(tokenizer.encode(input, { addSpecialTokens: special }).join(' ') + '\n');
    }
    return 0;
  } catch (e) {
    io.err((e as Error).message + '\n');
    return 1;
  }
}
