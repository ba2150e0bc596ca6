// The pre-tokenizer regular expressions osteon reproduces exactly, each mapped to its scanner in
// asm/tokenizer/scan.ts. Patterns are compared as exact strings: any other pattern is refused by name,
// because approximating a regex would silently change ids.
import * as kinds from '../../asm/tokenizer/kinds.js';

/** Scanner kinds: the numbers asm/tokenizer/scan.ts dispatches on, from their one source (kinds.ts). */
export const Scanner = {
  Gpt2: kinds.GPT2, Cl100k: kinds.CL100K, Qwen: kinds.QWEN, O200k: kinds.O200K, Metaspace: kinds.METASPACE,
  /**
   * Maximal runs of U+2581. Not from any tokenizer.json: with MergedWithNext it cuts a SentencePiece-style
   * word before each run that follows another character, which leaves the ids unchanged when no token
   * holds U+2581 after another character (no merge can then span the cut), and lets long texts be
   * encoded word by word through the cache instead of as one word. See safeToCutAtMetaspace.
   */
  MetaspaceRuns: kinds.METASPACE_RUNS,
  Digits3: kinds.DIGITS3, Cjk: kinds.CJK, DeepSeek: kinds.DEEPSEEK,
} as const;
export type Scanner = (typeof Scanner)[keyof typeof Scanner];

/** Whether no token holds U+2581 right after another character (then Scanner.MetaspaceRuns is exact). */
export function safeToCutAtMetaspace(tokens: string[]): boolean {
  const inner = /[^\u2581]\u2581/u;
  return !tokens.some((t) => inner.test(t));
}

const CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
const UPPERISH = '[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]';
const LOWERISH = '[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]';

/** GPT-2's pattern: what ByteLevel with use_regex splits by. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const cl100kLike = (digits: string) =>
  `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}${digits}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;

const O200K_PATTERN = [
  `[^\\r\\n\\p{L}\\p{N}]?${UPPERISH}*${LOWERISH}+${CONTRACTIONS}?`,
  `[^\\r\\n\\p{L}\\p{N}]?${UPPERISH}+${LOWERISH}*${CONTRACTIONS}?`,
  '\\p{N}{1,3}',
  ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
  '\\s*[\\r\\n]+',
  '\\s+(?!\\S)',
  '\\s+',
].join('|');

// DeepSeek-V3 / R1 chain three splits (then ByteLevel): digits, CJK runs, then words and punctuation.
const DEEPSEEK_DIGITS = '\\p{N}{1,3}';
const DEEPSEEK_CJK = '[一-龥\\u3040-ゟ゠-ヿ]+';
const DEEPSEEK_WORDS = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
  + '| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';

const KNOWN = new Map<string, Scanner>([
  [GPT2_PATTERN, Scanner.Gpt2],
  [cl100kLike('{1,3}'), Scanner.Cl100k], // cl100k_base, Llama 3, SmolLM
  [cl100kLike(''), Scanner.Qwen], // Qwen2, Qwen3: single digits
  [O200K_PATTERN, Scanner.O200k],
  [DEEPSEEK_DIGITS, Scanner.Digits3],
  [DEEPSEEK_CJK, Scanner.Cjk],
  [DEEPSEEK_WORDS, Scanner.DeepSeek],
]);

/**
 * The same regex with its literal control and unassigned characters written as escapes: files differ in
 * whether CR, LF (DeepSeek) or U+3040 appear raw or escaped, which changes nothing for the regex.
 */
function canonical(pattern: string): string {
  return pattern.replaceAll('\r', '\\r').replaceAll('\n', '\\n').replaceAll('\u3040', '\\u3040');
}

/** The scanner for a Split regex, or null when osteon has none. */
export function scannerFor(pattern: string): Scanner | null {
  return KNOWN.get(canonical(pattern)) ?? null;
}

export const KNOWN_PATTERN_NAMES = 'GPT-2, cl100k/Llama 3, Qwen2/3, o200k and DeepSeek-V3';
