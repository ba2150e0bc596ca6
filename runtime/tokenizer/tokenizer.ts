// The Tokenizer: Hugging Face tokenizer.json semantics, the same ids as the reference `tokenizers` library.
// Pipeline per encode: added tokens split out of the raw text; each remaining segment normalized (then split
// by normalized added tokens); Metaspace / prefix-space text transforms; then WebAssembly pre-tokenizes and
// runs BPE; finally the post-processor's template adds special tokens.
// It deliberately returns ids only (no offsets, attention masks, truncation or padding).
import { readPlan, type NormalizerStep, type TokenizerPlan } from './config.js';
import { AddedTokenSplitter, type Piece } from './added-tokens.js';
import { normalize } from './normalize.js';
import { decodeTokens } from './decode.js';
import { modelArrays, WasmModel, type ModelArrays } from './model.js';
import { TokenizerError } from './json.js';
import { decodeUtf8 } from '../errors.js';
import { fromBinary, isBinary, toBinary } from './binary.js';
import { ChatTemplate, type ChatMessage, type ChatTemplateOptions } from './chat.js';

export interface EncodeOptions { addSpecialTokens?: boolean }
export interface DecodeOptions { skipSpecialTokens?: boolean }

/** Lone surrogates become U+FFFD, as when the reference receives a JavaScript string. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
type MaybeWellFormed = { isWellFormed?(): boolean };
function wellFormed(text: string): string {
  const fast = (text as unknown as MaybeWellFormed).isWellFormed?.(); // ES2024, where the engine has it
  if (fast === true) return text;
  LONE_SURROGATE.lastIndex = 0;
  return fast === false || LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\ufffd') : text;
}

/** 1 or 0 (prepend or not) when the normalizers are only Replace(' ', U+2581) and maybe Prepend(U+2581). */
function metaspaceOnly(steps: NormalizerStep[]): number | null {
  const replace = steps.filter((s) => s.kind === 'replace' && s.pattern === ' ' && s.content === '\u2581').length;
  const prepend = steps.filter((s) => s.kind === 'prepend' && s.prepend === '\u2581').length;
  return replace === 1 && prepend <= 1 && replace + prepend === steps.length ? prepend : null;
}

export class Tokenizer {
  private readonly model: WasmModel;
  private readonly rawSplitter: AddedTokenSplitter;
  private readonly normalizedSplitter: AddedTokenSplitter | null;
  private readonly addedIds: Map<string, number>;
  private readonly addedTokens: Map<number, string>;
  private readonly special: Set<number>;
  private chat: ChatTemplate | null = null;
  // When the normalizers only turn spaces into U+2581 (and maybe prepend one), WebAssembly does it: 1 = prepend.
  private readonly metaspaceNormalizer: number | null;

  private readonly arrays: ModelArrays;

  /** Use Tokenizer.fromJSON / fromFile / fromBinary. */
  private constructor(private readonly plan: TokenizerPlan, arrays?: ModelArrays) {
    const { model, pre, added } = plan;
    this.arrays = arrays ?? modelArrays(model, pre.byteLevel);
    this.model = new WasmModel(this.arrays, {
      byteLevel: pre.byteLevel, ignoreMerges: model.ignoreMerges, byteFallback: model.byteFallback, fuseUnk: model.fuseUnk, unkId: model.unkId,
      prefix: model.prefix, suffix: model.suffix,
    }, pre);
    this.rawSplitter = new AddedTokenSplitter(added.filter((t) => !t.normalized));
    const normalizedTokens = added.filter((t) => t.normalized);
    // The reference matches normalized added tokens by their normalized content.
    this.normalizedSplitter = normalizedTokens.length > 0 ? new AddedTokenSplitter(normalizedTokens, (c) => normalize(c, plan.normalizers)) : null;
    this.addedIds = new Map(added.map((t) => [t.content, t.id]));
    // id -> text shows a normalized token normalized, as the reference's does (token -> id keeps the original).
    this.addedTokens = new Map(added.map((t) => [t.id, t.normalized ? normalize(t.content, plan.normalizers) : t.content]));
    this.special = new Set(added.filter((t) => t.special).map((t) => t.id));
    this.metaspaceNormalizer = this.normalizedSplitter === null ? metaspaceOnly(plan.normalizers) : null;
  }

  /** A tokenizer from the contents of a tokenizer.json (parsed or as text). */
  static fromJSON(json: string | object, config?: string | object): Tokenizer {
    let parsed: unknown = json;
    if (typeof json === 'string') {
      try {
        parsed = JSON.parse(json);
      } catch (e) {
        throw new TokenizerError(`tokenizer.json is not valid JSON (${(e as Error).message}); pass the file's text or its parsed object`, 'tokenizer.json');
      }
    }
    const tokenizer = new Tokenizer(readPlan(parsed));
    if (config !== undefined) tokenizer.setChatConfig(config);
    return tokenizer;
  }

  /** A tokenizer from its compact binary form (see toBinary). */
  static fromBinary(bytes: Uint8Array): Tokenizer {
    const { plan, arrays } = fromBinary(bytes);
    return new Tokenizer(plan, arrays);
  }

  /** The compact binary form: converted once, it loads without parsing JSON (fromBinary, fromFile). */
  toBinary(): Uint8Array {
    return toBinary(this.plan, this.arrays);
  }

  /**
   * A tokenizer from a file (Node): a tokenizer.json, its binary form, or a folder holding a tokenizer.json.
   * The tokenizer_config.json beside it, when present, supplies the chat template.
   */
  static async fromFile(path: string): Promise<Tokenizer> {
    // Specifiers in variables: browser bundles must not try to resolve Node's modules.
    const fsModule = 'node:fs/promises';
    const pathModule = 'node:path';
    const { readFile, stat } = (await import(fsModule)) as typeof import('node:fs/promises');
    const { join, dirname } = (await import(pathModule)) as typeof import('node:path');
    let file = path;
    let bytes: Uint8Array;
    try {
      if ((await stat(path)).isDirectory()) file = join(path, 'tokenizer.json');
      bytes = await readFile(file);
    } catch (e) {
      throw new TokenizerError(`cannot read ${file} (${(e as Error).message}); pass a tokenizer.json, its binary form, or a folder holding a tokenizer.json`, file);
    }
    const tokenizer = isBinary(bytes) ? Tokenizer.fromBinary(bytes) : Tokenizer.fromJSON(decodeUtf8(bytes, 'tokenizer', file));
    const configPath = join(dirname(file), 'tokenizer_config.json');
    const config = await readFile(configPath, 'utf8').catch(() => null);
    if (config !== null) tokenizer.setChatConfig(config);
    return tokenizer;
  }

  /** Number of distinct tokens, added tokens included (the reference's get_vocab_size(true)). */
  get vocabSize(): number { return this.plan.vocabSize; }

  tokenToId(token: string): number | undefined { return this.addedIds.get(token) ?? this.plan.model.vocab.lookup.get(token); }

  idToToken(id: number): string | undefined { return this.addedTokens.get(id) ?? this.plan.model.vocab.tokenOf(id); }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    if (typeof text !== 'string') throw new TokenizerError(`encode needs a string (got ${typeof text})`);
    const model = this.model;
    model.reset();
    for (const piece of this.rawSplitter.split(wellFormed(text))) {
      if ('id' in piece) model.push(piece.id);
      else this.encodeSegment(piece.text, piece.start === 0);
    }
    const ids = model.ids();
    const template = this.plan.template;
    if (template === null || options.addSpecialTokens === false) return ids;
    const parts = template.map((p) => ('sequence' in p ? ids : p.ids));
    const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  encodeBatch(texts: string[], options: EncodeOptions = {}): Int32Array[] {
    return texts.map((t) => this.encode(t, options));
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens === true;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const token = this.idToToken(ids[i]);
      if (token !== undefined && !(skip && this.special.has(ids[i]))) tokens.push(token);
    }
    return decodeTokens(tokens, this.plan.decoders);
  }

  /** Set the chat template source: a tokenizer_config.json (parsed or as text). */
  setChatConfig(config: string | object): void {
    this.chat = ChatTemplate.fromConfig(config);
  }

  /** Render a conversation with the tokenizer_config.json chat template (through @huggingface/jinja). */
  applyChatTemplate(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
    if (this.chat === null) throw new TokenizerError('no chat template: load a folder with tokenizer_config.json, or call setChatConfig(config)');
    return this.chat.render(messages, options);
  }

  /** One segment of raw text between added tokens. `first`: it starts the input. */
  private encodeSegment(text: string, first: boolean): void {
    if (this.metaspaceNormalizer !== null && this.plan.pre.metaspace === null) {
      this.model.encode(text, this.metaspaceNormalizer);
      return;
    }
    const normalized = normalize(text, this.plan.normalizers);
    if (this.normalizedSplitter === null) { this.encodeNormalized(normalized, first); return; }
    const pieces: Piece[] = [];
    for (const piece of this.normalizedSplitter.split(normalized, pieces)) {
      if ('id' in piece) this.model.push(piece.id);
      else this.encodeNormalized(piece.text, first && piece.start === 0);
    }
  }

  private encodeNormalized(text: string, first: boolean): void {
    if (text.length === 0) return;
    const { metaspace, prefixSpace } = this.plan.pre;
    if (metaspace !== null) {
      // Metaspace: spaces become U+2581, and one goes in front unless the text starts with one.
      const scheme = metaspace.prependScheme;
      this.model.encode(text, scheme === 'always' || (scheme === 'first' && first) ? 2 : 0);
      return;
    }
    if (prefixSpace && !text.startsWith(' ')) text = ' ' + text;
    this.model.encode(text);
  }
}
