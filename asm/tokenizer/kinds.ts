// The numbers that the TypeScript side (runtime/tokenizer) and the WebAssembly tokenizer agree on, written
// once: this file is compiled into build/tokenizer.wasm and imported by runtime/tokenizer as it is. Plain
// integer constants only, so that it is the same in AssemblyScript (i32) and TypeScript (number).

// Scanner kinds (scan.ts matchAt; runtime/tokenizer/patterns.ts maps each accepted regex to one).
export const GPT2 = 1; // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
export const CL100K = 2; // (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
export const QWEN = 3; // CL100K with \p{N} instead of \p{N}{1,3}
export const O200K = 4; // the o200k_base pattern (cased words, contractions as suffixes)
export const METASPACE = 5; // the single character U+2581, as Metaspace splits
export const WHOLE = 6; // the whole piece: no split
export const METASPACE_RUNS = 7; // maximal runs of U+2581 (see Scanner.MetaspaceRuns in patterns.ts)
export const DIGITS3 = 8; // \p{N}{1,3}
export const CJK = 9; // [一-龥\u3040-ゟ゠-ヿ]+
export const DEEPSEEK = 10; // DeepSeek-V3's third split, see deepseek() in scan.ts

// Split behaviours of a pre-tokenizer stage (pretok.ts), as tokenizer.json names them.
export const REMOVED = 0;
export const ISOLATED = 1;
export const MERGED_WITH_PREVIOUS = 2;
export const MERGED_WITH_NEXT = 3;
export const CONTIGUOUS = 4;

/** Split stages pretok.ts holds. */
export const MAX_STAGES = 5;
