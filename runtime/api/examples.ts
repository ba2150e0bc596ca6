// Examples from any data source the API accepts (runtime/api/sources.ts): JSONL rows, plain text, rows in
// memory, or the built-in data when none is given. The file name decides the format (.txt is plain text,
// .jsonl/.json JSONL); a nameless Blob is JSONL when its first character is "{". Ids and labels are checked
// against the model's vocabulary; bytes that are not UTF-8 are refused with their offset (runtime/train/data.ts).
import { BUILTIN_DATA } from '../builtin/builtin.js';
import { OsteonError } from '../errors.js';
import { type DataTokenizer, type Example, exampleFromRow, examplesFromJsonl, examplesFromText } from '../train/data.js';
import { type DataSource, readData } from './sources.js';

/** The first byte that is not white space (0 for none). */
function firstByte(bytes: Uint8Array): number {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf) return b;
  return 0;
}

/** Tokenized examples of `source` (undefined: the built-in task's training data). */
export async function readExamples(source: DataSource | undefined, tok: DataTokenizer | null, eos: number | undefined, vocabSize: number): Promise<Example[]> {
  const data = await readData(source ?? BUILTIN_DATA);
  if ('rows' in data) {
    if (!data.rows.length) throw new OsteonError('data', 'the rows array is empty; pass at least one example');
    return data.rows.map((row, i) => exampleFromRow(row, tok, 'rows', i + 1, eos, vocabSize));
  }
  const plain = /\.txt$/i.test(data.name) || (!/\.jsonl?$/i.test(data.name) && firstByte(data.bytes) !== 0x7b);
  if (!plain) return examplesFromJsonl(data.bytes, tok, data.name, eos, vocabSize);
  if (!tok) {
    throw new OsteonError('data', `${data.name} is plain text but the model folder has no tokenizer.json; use pre-tokenized "input_ids" JSONL rows`, data.name);
  }
  return examplesFromText(data.bytes, tok, data.name, vocabSize);
}
