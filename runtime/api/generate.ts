// generate(): continue a prompt with a model (and an adapter, active or merged), as an async iterator of
// text pieces: each piece is the new text once it decodes to whole characters (a token may end inside one).
import { tokenStream } from '../generate/generate.js';
import type { SamplingOptions } from '../generate/sampling.js';
import { type ModelOptions, openAdapter, openSession } from './open.js';
import type { FolderSource } from './sources.js';
import { abortError } from './tasks.js';
import { checkGenerateOptions } from './options.js';
import { OsteonError } from '../errors.js';

export interface GenerateOptions extends ModelOptions, SamplingOptions {
  prompt: string;
  /** A PEFT adapter folder (or the `files` of a finetune run). */
  adapter?: FolderSource;
  /** Fold the adapter into the weights first (faster per token, same text). */
  merge?: boolean;
  /** Wrap the prompt as a user message with the tokenizer's chat template. */
  chat?: boolean;
  maxNewTokens?: number;
  signal?: AbortSignal;
}

export async function* generate(o: GenerateOptions): AsyncGenerator<string> {
  if (typeof o.prompt !== 'string') throw new OsteonError('generate', 'prompt (--prompt), the text to continue, is required');
  checkGenerateOptions(o as unknown as Record<string, unknown>);
  const session = await openSession(o);
  try {
    const { opened } = session;
    const tok = opened.tokenizer;
    if (!tok) throw new OsteonError('generate', `${opened.source} has no tokenizer.json, so text cannot be encoded or decoded`);
    if (o.adapter !== undefined) {
      await openAdapter(opened, o.adapter);
      if (o.merge) opened.model.merge();
    }
    const text = o.chat ? tok.applyChatTemplate([{ role: 'user', content: o.prompt }], { addGenerationPrompt: true }) : o.prompt;
    const prompt = tok.encode(text, { addSpecialTokens: !o.chat });
    const ids: number[] = [];
    let shown = '';
    for await (const id of tokenStream(opened.model, prompt, { ...o, stop: opened.eos === undefined ? [] : [opened.eos] })) {
      if (o.signal?.aborted) throw abortError(o.signal);
      ids.push(id);
      const decoded = tok.decode(ids, { skipSpecialTokens: true });
      if (decoded.endsWith('\ufffd')) continue;
      const piece = decoded.slice(shown.length);
      shown = decoded;
      if (piece) yield piece;
    }
    const rest = tok.decode(ids, { skipSpecialTokens: true }).slice(shown.length);
    if (rest) yield rest;
  } finally {
    session.close();
  }
}
