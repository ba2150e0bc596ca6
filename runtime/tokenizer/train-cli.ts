// `osteon tokenize --train FILES... --vocab-size N --out FILE`: trains a byte-level BPE tokenizer on text files
// (each line on its own, as the reference's train(files) reads them) and writes its tokenizer.json, reporting
// progress on stderr about once a second. Returns the exit code; the caller (cli.ts) parses nothing else.
// It deliberately reads each file whole: training holds every distinct word anyway, and lines need UTF-8.
import { trainTokenizer, linesOf, type TrainOptions, type TrainProgress } from './train.js';
import type { CommandIO } from './cli.js';
import { decodeUtf8 } from '../errors.js';

export const TRAIN_USAGE = `       osteon tokenize --train FILES... --vocab-size N --out FILE [--special-tokens A,B] [--min-frequency K]
                       [--limit-alphabet L] [--seen-alphabet]
  --train           text files to train a byte-level BPE tokenizer on (GPT-2's pre-tokenizer, each line on its own)
  --vocab-size      tokens in the vocabulary: special tokens, the 256 byte characters, then merges
  --special-tokens  comma-separated tokens given the first ids (e.g. "<s>,</s>,<pad>")
  --min-frequency   merge no pair seen fewer times (default 0)
  --limit-alphabet  keep only the L most frequent byte characters
  --seen-alphabet   start from the byte characters of the files instead of all 256
  --out             where to write the tokenizer.json`;

interface TrainArgs { files: string[]; out: string | null; options: TrainOptions }

/** The training flags, or an error message. */
function parse(args: string[]): TrainArgs | string {
  const files: string[] = [];
  let out: string | null = null;
  const options: TrainOptions = { vocabSize: NaN };
  const number = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${flag} needs a whole number (got ${JSON.stringify(v ?? '')})`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--train') {
      while (i + 1 < args.length && !args[i + 1].startsWith('--')) files.push(args[++i]);
    } else if (a === '--vocab-size') options.vocabSize = number(a, args[++i]);
    else if (a === '--min-frequency') options.minFrequency = number(a, args[++i]);
    else if (a === '--limit-alphabet') options.limitAlphabet = number(a, args[++i]);
    else if (a === '--special-tokens' && i + 1 < args.length) options.specialTokens = args[++i].split(',').filter(Boolean);
    else if (a === '--seen-alphabet') options.alphabet = 'seen';
    else if (a === '--out' && i + 1 < args.length) out = args[++i];
    else return `unknown argument ${JSON.stringify(a)}`;
  }
  if (files.length === 0) return '--train needs at least one text file';
  if (Number.isNaN(options.vocabSize)) return '--vocab-size N is required';
  if (out === null) return '--out FILE is required (where the tokenizer.json goes)';
  return { files, out, options };
}

function progressLine(p: TrainProgress): string {
  return p.stage === 'words'
    ? `[tokenize] counting words: ${p.texts} lines, ${(p.bytes / 1e6).toFixed(1)} MB, ${p.words} distinct words`
    : `[tokenize] merging: ${p.merges} merges, vocabulary ${p.vocab} of ${p.vocabSize}`;
}

export async function trainCommand(args: string[], io: CommandIO, usage: string): Promise<number> {
  let parsed: TrainArgs | string;
  try {
    parsed = parse(args);
  } catch (e) {
    parsed = (e as Error).message;
  }
  if (typeof parsed === 'string') { io.err(`[tokenize] ${parsed}\n${usage}\n`); return 2; }
  const { files, out, options } = parsed;
  try {
    const { readFile, writeFile } = await import('node:fs/promises');
    const texts: string[] = [];
    for (const f of files) {
      const bytes = await readFile(f).catch((e: Error) => { throw new Error(`[tokenize] cannot read ${f} (${e.message}); pass text files`); });
      texts.push(decodeUtf8(bytes, 'tokenize', f));
    }
    const started = performance.now();
    let shown = started;
    let last: TrainProgress | null = null;
    const json = trainTokenizer((function* () { for (const t of texts) yield* linesOf(t); })(), {
      ...options,
      onProgress: (p) => {
        last = p;
        const now = performance.now();
        if (now - shown >= 1000) { shown = now; io.err(progressLine(p) + '\n'); }
      },
    });
    await writeFile(out!, json);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const done = last as TrainProgress | null; // the last report is always the end of merging
    const size = done?.stage === 'merges' ? `${done.vocab} tokens, ${done.merges} merges` : 'trained';
    io.err(`[tokenize] wrote ${out}: ${size} in ${seconds} s\n`);
    return 0;
  } catch (e) {
    io.err((e as Error).message + '\n');
    return 1;
  }
}
