// Reads and validates a parsed tokenizer.json into a TokenizerPlan: the components osteon runs, with every
// field checked. Unsupported components are refused by name, never skipped: a skipped step changes ids.
// It deliberately does no work on text; normalize.ts, added-tokens.ts, decode.ts and the WebAssembly model do.
import {
  type Json, type JsonObject, TokenizerError, array, fail, flag, integer, isObject, object, optionalString, string,
  typeOf, unsupported,
} from './json.js';
import { Vocabulary } from './vocab.js';
import * as kinds from '../../asm/tokenizer/kinds.js';
import { KNOWN_PATTERN_NAMES, Scanner, safeToCutAtMetaspace, scannerFor } from './patterns.js';

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export type NormalizerStep =
  | { kind: 'unicode'; form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' }
  | { kind: 'lowercase' }
  | { kind: 'replace'; pattern: string; content: string }
  | { kind: 'prepend'; prepend: string }
  | { kind: 'strip'; left: boolean; right: boolean };

/** Split behaviours by their tokenizer.json names: the numbers asm/tokenizer/pretok.ts acts on, from their
 *  one source (asm/tokenizer/kinds.ts). */
const BEHAVIORS: Record<string, number> = {
  Removed: kinds.REMOVED, Isolated: kinds.ISOLATED, MergedWithPrevious: kinds.MERGED_WITH_PREVIOUS,
  MergedWithNext: kinds.MERGED_WITH_NEXT, Contiguous: kinds.CONTIGUOUS,
};

export interface Stage { scanner: Scanner; behavior: number; invert: boolean }

export interface PreTokenizerPlan {
  byteLevel: boolean; // the model sees bytes (the ByteLevel alphabet) rather than characters
  prefixSpace: boolean; // ByteLevel add_prefix_space: a space before each segment not starting with one
  metaspace: { replacement: string; prependScheme: 'always' | 'first' | 'never' } | null;
  stages: Stage[];
}

export interface ModelPlan {
  vocab: Vocabulary;
  merges: Int32Array | null; // [M * 3] (left id, right id, merged id) in rank order; null from the binary form
  unkId: number; // -1 if none
  byteFallback: boolean;
  fuseUnk: boolean;
  ignoreMerges: boolean;
  prefix: string; // continuing_subword_prefix ('' if none)
  suffix: string; // end_of_word_suffix ('' if none)
}

export type DecoderStep =
  | { kind: 'byteLevel' }
  | { kind: 'metaspace'; replacement: string; prependScheme: 'always' | 'first' | 'never' }
  | { kind: 'replace'; pattern: string; content: string }
  | { kind: 'byteFallback' }
  | { kind: 'fuse' }
  | { kind: 'strip'; content: string; start: number; stop: number };

/** Template pieces: a sequence to insert, or special token ids. */
export type TemplatePiece = { sequence: true } | { ids: number[] };

export interface TokenizerPlan {
  added: AddedToken[];
  normalizers: NormalizerStep[];
  pre: PreTokenizerPlan;
  model: ModelPlan;
  template: TemplatePiece[] | null; // add_special_tokens for one sequence; null = ids unchanged
  vocabSize: number; // distinct tokens, added ones included (the reference's get_vocab_size(true))
  decoders: DecoderStep[] | null; // null = tokens joined by spaces, as the reference does without a decoder
}

export function readPlan(root: unknown): TokenizerPlan {
  const file = object(root, '(root)');
  for (const key of ['truncation', 'padding'] as const) {
    if (file[key] !== undefined && file[key] !== null) {
      unsupported(key, 'set', `osteon returns whole sequences; set "${key}": null and truncate or pad the ids yourself`);
    }
  }
  const pre = readPreTokenizer(file.pre_tokenizer ?? null);
  const [model, tokens, lookup] = readModel(file.model, 'model');
  // Cutting words moves word boundaries, which affixes mark: only without them.
  const affixes = model.prefix !== '' || model.suffix !== '';
  if (!pre.byteLevel && !affixes && !pre.stages.some((s) => s.scanner === Scanner.Metaspace) && safeToCutAtMetaspace(tokens)) {
    pre.stages.push({ scanner: Scanner.MetaspaceRuns, behavior: kinds.MERGED_WITH_NEXT, invert: false });
  }
  const added = assignAddedIds(array(file.added_tokens ?? [], 'added_tokens').map((t, i) => readAddedToken(t, `added_tokens[${i}]`)), lookup);
  return {
    added,
    vocabSize: lookup.size + new Set(added.filter((t) => !lookup.has(t.content)).map((t) => t.content)).size,
    normalizers: readNormalizer(file.normalizer ?? null, 'normalizer'),
    pre,
    model,
    template: readPostProcessor(file.post_processor ?? null, 'post_processor'),
    decoders: file.decoder === null || file.decoder === undefined ? null : readDecoder(file.decoder, 'decoder'),
  };
}

/**
 * The reference ignores the ids written in added_tokens: in list order, a token gets its vocabulary id if the
 * model has it, else the id after the largest added id (or the vocabulary size, whichever is larger).
 * Real files agree with this; hand-edited ones may not, and then the reference's ids are the ones that count.
 */
function assignAddedIds(tokens: AddedToken[], lookup: Map<string, number>): AddedToken[] {
  const size = lookup.size;
  const assigned = new Map<string, number>();
  let max = -1;
  const out: AddedToken[] = [];
  for (const t of tokens) {
    if (t.content === '') continue; // the reference skips empty tokens
    const known = assigned.get(t.content) ?? lookup.get(t.content);
    const id = known ?? (max >= size ? max + 1 : size);
    assigned.set(t.content, id); // a repeated content keeps its id, so the largest id only grows
    max = Math.max(max, id);
    out.push({ ...t, id });
  }
  return out;
}

function readAddedToken(v: Json, path: string): AddedToken {
  const t = object(v, path);
  return {
    id: integer(t.id, `${path}.id`),
    content: string(t.content, `${path}.content`),
    singleWord: flag(t, 'single_word', path, false),
    lstrip: flag(t, 'lstrip', path, false),
    rstrip: flag(t, 'rstrip', path, false),
    normalized: flag(t, 'normalized', path, true),
    special: flag(t, 'special', path, false),
  };
}

/** A Replace pattern: only {"String": ...}; a regex would need a regex engine. */
function literalPattern(v: Json, path: string): string {
  const p = object(v, path);
  if (typeof p.String === 'string') return p.String;
  if (typeof p.Regex === 'string') unsupported(path, `the regex ${JSON.stringify(p.Regex)}`, 'only {"String": ...} patterns are supported here');
  return fail(path, '{"String": ...}', v);
}

function readNormalizer(v: Json, path: string): NormalizerStep[] {
  if (v === null) return [];
  const n = object(v, path);
  const type = typeOf(n, path);
  switch (type) {
    case 'Sequence':
      return array(n.normalizers, `${path}.normalizers`).flatMap((m, i) => readNormalizer(m, `${path}.normalizers[${i}]`));
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD':
      return [{ kind: 'unicode', form: type }];
    case 'Lowercase':
      return [{ kind: 'lowercase' }];
    case 'Replace':
      return [{ kind: 'replace', pattern: literalPattern(n.pattern, `${path}.pattern`), content: string(n.content, `${path}.content`) }];
    case 'Prepend':
      return [{ kind: 'prepend', prepend: string(n.prepend, `${path}.prepend`) }];
    case 'Strip':
      return [{ kind: 'strip', left: flag(n, 'strip_left', path, true), right: flag(n, 'strip_right', path, true) }];
    default:
      return unsupported(`${path}.type`, `"${type}"`, 'supported normalizers: NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Strip, Sequence');
  }
}

function prependScheme(n: JsonObject, path: string): 'always' | 'first' | 'never' {
  const scheme = optionalString(n, 'prepend_scheme', path);
  if (scheme === null) return flag(n, 'add_prefix_space', path, true) ? 'always' : 'never';
  if (scheme !== 'always' && scheme !== 'first' && scheme !== 'never') fail(`${path}.prepend_scheme`, '"always", "first" or "never"', scheme);
  return scheme;
}

function readPreTokenizer(v: Json): PreTokenizerPlan {
  const plan: PreTokenizerPlan = { byteLevel: false, prefixSpace: false, metaspace: null, stages: [] };
  if (v === null) return plan;
  const root = object(v, 'pre_tokenizer');
  const steps: [JsonObject, string][] = typeOf(root, 'pre_tokenizer') === 'Sequence'
    ? array(root.pretokenizers, 'pre_tokenizer.pretokenizers').map((s, i) => [object(s, `pre_tokenizer.pretokenizers[${i}]`), `pre_tokenizer.pretokenizers[${i}]`])
    : [[root, 'pre_tokenizer']];
  steps.forEach(([step, path], index) => {
    const type = typeOf(step, path);
    // Text transforms (prefix space, Metaspace) run in TypeScript before splitting, so they must come first;
    // a split after ByteLevel would see the byte alphabet, which no scanner expects.
    if (plan.byteLevel) unsupported(path, `a ${type} after ByteLevel`, 'put ByteLevel last in the Sequence');
    if (type === 'ByteLevel') {
      plan.byteLevel = true;
      if (flag(step, 'add_prefix_space', path, true)) {
        if (index > 0) unsupported(`${path}.add_prefix_space`, 'true after another pre-tokenizer', 'only a leading ByteLevel may add a prefix space');
        plan.prefixSpace = true;
      }
      if (flag(step, 'use_regex', path, true)) plan.stages.push({ scanner: Scanner.Gpt2, behavior: kinds.ISOLATED, invert: false });
    } else if (type === 'Split') {
      const pattern = object(step.pattern, `${path}.pattern`);
      if (typeof pattern.Regex !== 'string') {
        unsupported(`${path}.pattern`, describePattern(pattern), `supported: the ${KNOWN_PATTERN_NAMES} regexes`);
      }
      const scanner = scannerFor(pattern.Regex);
      if (scanner === null) {
        unsupported(`${path}.pattern.Regex`, `the pattern ${JSON.stringify(pattern.Regex)}`, `osteon reproduces exactly the ${KNOWN_PATTERN_NAMES} regexes`);
      }
      plan.stages.push({ scanner, behavior: behavior(step, path), invert: flag(step, 'invert', path, false) });
    } else if (type === 'Metaspace') {
      if (index > 0) unsupported(path, 'a Metaspace after another pre-tokenizer', 'Metaspace must come first');
      const replacement = string(step.replacement, `${path}.replacement`);
      if (replacement !== '\u2581') unsupported(`${path}.replacement`, JSON.stringify(replacement), 'only "\u2581" (U+2581) is supported');
      plan.metaspace = { replacement, prependScheme: prependScheme(step, path) };
      if (flag(step, 'split', path, true)) plan.stages.push({ scanner: Scanner.Metaspace, behavior: kinds.MERGED_WITH_NEXT, invert: false });
    } else {
      unsupported(`${path}.type`, `"${type}"`, 'supported pre-tokenizers: ByteLevel, Split, Metaspace, Sequence');
    }
  });
  // One stage is kept in reserve for the Metaspace cut readPlan may add (asm/tokenizer/pretok.ts holds MAX_STAGES).
  if (plan.stages.length > kinds.MAX_STAGES - 1) unsupported('pre_tokenizer', `a Sequence of ${plan.stages.length} splits`, `osteon runs at most ${kinds.MAX_STAGES - 1}`);
  return plan;
}

function describePattern(p: JsonObject): string {
  return typeof p.String === 'string' ? `the string pattern ${JSON.stringify(p.String)}` : 'not a {"Regex": ...} pattern';
}

function behavior(step: JsonObject, path: string): number {
  const name = string(step.behavior, `${path}.behavior`);
  if (!Object.hasOwn(BEHAVIORS, name)) fail(`${path}.behavior`, `one of ${Object.keys(BEHAVIORS).join(', ')}`, name);
  return BEHAVIORS[name];
}

/** The model plan, its tokens in file order and its token -> id map (for loading only; it is large). */
function readModel(v: Json | undefined, path: string): [ModelPlan, string[], Map<string, number>] {
  const m = object(v, path);
  const type = m.type ?? 'BPE';
  if (type !== 'BPE') unsupported(`${path}.type`, JSON.stringify(type), 'osteon implements BPE models only');
  if (m.dropout !== undefined && m.dropout !== null) unsupported(`${path}.dropout`, String(m.dropout), 'set it to null (dropout is for training)');
  const vocab = object(m.vocab, `${path}.vocab`);
  const tokens = Object.keys(vocab);
  const lookup = new Map<string, number>();
  const ids = tokens.map((t) => {
    const id = vocab[t];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) fail(`${path}.vocab[${JSON.stringify(t)}]`, 'a non-negative integer id', id);
    lookup.set(t, id);
    return id;
  });
  const unk = optionalString(m, 'unk_token', path);
  const prefix = optionalString(m, 'continuing_subword_prefix', path) ?? '';
  return [{
    vocab: Vocabulary.fromTokens(tokens, ids),
    merges: readMerges(m.merges ?? [], `${path}.merges`, lookup, prefix),
    unkId: unk === null ? -1 : lookup.get(unk) ?? -1,
    byteFallback: flag(m, 'byte_fallback', path, false),
    fuseUnk: flag(m, 'fuse_unk', path, false),
    ignoreMerges: flag(m, 'ignore_merges', path, false),
    prefix,
    suffix: optionalString(m, 'end_of_word_suffix', path) ?? '',
  }, tokens, lookup];
}

/**
 * Merges ("a b" strings or ["a", "b"] pairs) as id triples (left, right, merged), [M * 3], in rank order.
 * The merged token is a + b without its first prefix-length UTF-8 bytes, as the reference builds it.
 */
function readMerges(v: Json, path: string, lookup: Map<string, number>, prefix: string): Int32Array {
  const prefixBytes = new TextEncoder().encode(prefix).length;
  const strip = (b: string) => (prefixBytes === 0 ? b : b.startsWith(prefix) ? b.slice(prefix.length)
    : new TextDecoder().decode(new TextEncoder().encode(b).subarray(prefixBytes)));
  const list = array(v, path);
  const out = new Int32Array(list.length * 3);
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    let a: string;
    let b: string;
    if (typeof m === 'string') {
      const space = m.indexOf(' ');
      if (space < 0 || m.indexOf(' ', space + 1) >= 0) fail(`${path}[${i}]`, 'two tokens separated by one space', m);
      a = m.slice(0, space);
      b = m.slice(space + 1);
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      a = m[0];
      b = m[1];
    } else {
      return fail(`${path}[${i}]`, 'a "a b" string or an ["a", "b"] pair', m);
    }
    const left = lookup.get(a);
    const right = lookup.get(b);
    const merged = lookup.get(a + strip(b));
    if (left === undefined || right === undefined || merged === undefined) {
      const missing = left === undefined ? a : right === undefined ? b : a + strip(b);
      throw new TokenizerError(`tokenizer.json: ${path}[${i}] ${JSON.stringify(a + ' ' + b)} needs ${JSON.stringify(missing)}, which is not in model.vocab; fix the file`, 'tokenizer.json');
    }
    out[3 * i] = left;
    out[3 * i + 1] = right;
    out[3 * i + 2] = merged;
  }
  return out;
}

function specialIds(tokens: JsonObject, name: string, path: string): number[] {
  const entry = object(tokens[name], `${path}.special_tokens[${JSON.stringify(name)}]`);
  return array(entry.ids, `${path}.special_tokens[${JSON.stringify(name)}].ids`).map((id, i) => integer(id, `${path}.special_tokens[${JSON.stringify(name)}].ids[${i}]`));
}

/** The single-sequence template of a post-processor, or null when it leaves ids unchanged. */
function readPostProcessor(v: Json, path: string): TemplatePiece[] | null {
  if (v === null) return null;
  const p = object(v, path);
  const type = typeOf(p, path);
  switch (type) {
    case 'ByteLevel':
      return null; // it only adjusts offsets
    case 'TemplateProcessing': {
      const special = object(p.special_tokens ?? {}, `${path}.special_tokens`);
      return array(p.single, `${path}.single`).map((piece, i) => {
        const item = object(piece, `${path}.single[${i}]`);
        if (isObject(item.Sequence)) return { sequence: true } as const;
        if (isObject(item.SpecialToken)) {
          return { ids: specialIds(special, string(item.SpecialToken.id, `${path}.single[${i}].SpecialToken.id`), path) };
        }
        return fail(`${path}.single[${i}]`, '{"Sequence": ...} or {"SpecialToken": ...}', item);
      });
    }
    case 'RobertaProcessing': case 'BertProcessing': {
      const id = (key: string) => integer(array(p[key], `${path}.${key}`)[1], `${path}.${key}[1]`);
      return [{ ids: [id('cls')] }, { sequence: true }, { ids: [id('sep')] }];
    }
    case 'Sequence': {
      let template: TemplatePiece[] | null = null;
      array(p.processors, `${path}.processors`).forEach((q, i) => {
        const inner = readPostProcessor(q, `${path}.processors[${i}]`);
        if (inner === null) return;
        // Applying a template to a templated sequence: substitute the earlier result for its Sequence piece.
        template = template === null ? inner : inner.flatMap((piece) => ('sequence' in piece ? template! : [piece]));
      });
      return template;
    }
    default:
      return unsupported(`${path}.type`, `"${type}"`, 'supported post-processors: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence');
  }
}

function readDecoder(v: Json, path: string): DecoderStep[] {
  const d = object(v, path);
  const type = typeOf(d, path);
  switch (type) {
    case 'Sequence':
      return array(d.decoders, `${path}.decoders`).flatMap((e, i) => readDecoder(e, `${path}.decoders[${i}]`));
    case 'ByteLevel':
      return [{ kind: 'byteLevel' }];
    case 'Metaspace':
      return [{ kind: 'metaspace', replacement: string(d.replacement, `${path}.replacement`), prependScheme: prependScheme(d, path) }];
    case 'Replace':
      return [{ kind: 'replace', pattern: literalPattern(d.pattern, `${path}.pattern`), content: string(d.content, `${path}.content`) }];
    case 'ByteFallback':
      return [{ kind: 'byteFallback' }];
    case 'Fuse':
      return [{ kind: 'fuse' }];
    case 'Strip':
      return [{ kind: 'strip', content: string(d.content, `${path}.content`), start: integer(d.start, `${path}.start`), stop: integer(d.stop, `${path}.stop`) }];
    default:
      return unsupported(`${path}.type`, `"${type}"`, 'supported decoders: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence');
  }
}
