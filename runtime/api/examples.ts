// Examples from any data source the API accepts (runtime/api/sources.ts): JSONL rows, plain text, rows in
// memory, or the built-in data when none is given. The file name decides the format (.txt is plain text,
// anything else JSONL); a nameless Blob whose first character is not "{" is read as plain text.
import { BUILTIN_DATA } from '../builtin/data.js';
import { type DataTokenizer, type Example, exampleFromRow, examplesFromJsonl, examplesFromText } from '../train/data.js';
import { type DataSource, readData } from './sources.js';

function utf8(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`[data] ${name} is not UTF-8 text; save it as UTF-8 (JSONL or .txt)`);
  }
}

/** Tokenized examples of `source` (undefined: the built-in question-and-answer data). */
export async function readExamples(source: DataSource | undefined, tok: DataTokenizer | null, eos: number | undefined): Promise<Example[]> {
  if (source === undefined) return BUILTIN_DATA.map((row, i) => exampleFromRow(row, tok, 'built-in data', i + 1, eos));
  const data = await readData(source);
  if ('rows' in data) {
    if (!data.rows.length) throw new Error('[data] the rows array is empty');
    return data.rows.map((row, i) => exampleFromRow(row, tok, 'rows', i + 1, eos));
  }
  const text = utf8(data.bytes, data.name);
  const plain = /\.txt$/i.test(data.name) || (!/\.jsonl?$/i.test(data.name) && !text.trimStart().startsWith('{'));
  if (!plain) return examplesFromJsonl(text, tok, data.name, eos);
  if (!tok) throw new Error(`[data] ${data.name} is plain text but the model folder has no tokenizer.json; use pre-tokenized "input_ids" JSONL rows`);
  return examplesFromText(text, tok, data.name);
}
