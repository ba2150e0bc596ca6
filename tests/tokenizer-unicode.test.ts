// The scanners' Unicode table: the flags compiled into build/tokenizer.wasm agree with the JS engine's own
// \p{...} classes for every code point, and asm/tokenizer/unicode-data.ts is what gen-unicode.mjs writes now
// (if this fails after a Node upgrade, run `node asm/tokenizer/gen-unicode.mjs` and rebuild; an engine of
// another Unicode version skips both checks with a warning).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { flagsOfAll, render } from '../asm/tokenizer/gen-unicode.mjs';
import { instantiate } from '../runtime/tokenizer/model.js';

const source = readFileSync(new URL('../../asm/tokenizer/unicode-data.ts', import.meta.url), 'utf8');
const tableVersion = /\(Unicode ([\d.]+)\)/.exec(source)?.[1];
// The table pins the Unicode version it was generated from; an engine of another version can only warn.
const sameUnicode = tableVersion === process.versions.unicode;
if (!sameUnicode) console.warn(`skipped: the table is Unicode ${tableVersion}, this engine ${process.versions.unicode}`);

test('generated table is current', () => {
  if (!sameUnicode) return;
  assert.ok(source === render(), 'asm/tokenizer/unicode-data.ts is stale: run node asm/tokenizer/gen-unicode.mjs');
});

test('WebAssembly flags equal the JS engine classes for all code points', () => {
  if (!sameUnicode) return;
  const expected = flagsOfAll();
  const wasm = instantiate();
  let wrong = 0;
  let first = -1;
  for (let cp = 0; cp < 0x110000; cp++) {
    if (wasm.unicodeFlags(cp) !== expected[cp]) { wrong++; if (first < 0) first = cp; }
  }
  assert.is(wrong, 0, `${wrong} code points differ, first U+${first.toString(16)}`);
});

test('White_Space, not JavaScript\'s \\s: U+0085 is space, U+FEFF is not', () => {
  const wasm = instantiate();
  assert.is(wasm.unicodeFlags(0x85) & 4, 4);
  assert.is(wasm.unicodeFlags(0xfeff) & 4, 0);
  assert.is(wasm.unicodeFlags(0x3000) & 4, 4);
});

test.run();
