// Chat templates from tokenizer_config.json, rendered by @huggingface/jinja (the template language the
// Hugging Face ecosystem uses); osteon only picks the template and supplies the usual variables.
// It deliberately implements no template logic of its own.
import { Template } from '@huggingface/jinja';
import { TokenizerError } from './json.js';

export interface ChatMessage { role: string; content: string; [key: string]: unknown }

export interface ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  /** Which named template when tokenizer_config.json lists several (default: "default"). */
  name?: string;
  /** Extra variables for the template (tools, documents, ...). */
  variables?: Record<string, unknown>;
}

/** bos_token / eos_token / ... appear as strings or as {content: ...} objects. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

export class ChatTemplate {
  private readonly compiled = new Map<string, Template>();

  private constructor(private readonly sources: Map<string, string>, private readonly specials: Record<string, string>) {}

  static fromConfig(config: string | object): ChatTemplate {
    let c: Record<string, unknown>;
    try {
      c = (typeof config === 'string' ? JSON.parse(config) : config) as Record<string, unknown>;
    } catch (e) {
      throw new TokenizerError(`tokenizer_config.json is not valid JSON (${(e as Error).message})`, 'tokenizer_config.json');
    }
    const sources = new Map<string, string>();
    const t = c.chat_template;
    if (typeof t === 'string') sources.set('default', t);
    else if (Array.isArray(t)) {
      for (const [i, entry] of t.entries()) {
        const e = entry as { name?: unknown; template?: unknown };
        if (typeof e.name !== 'string' || typeof e.template !== 'string') {
          throw new TokenizerError(`tokenizer_config.json: chat_template[${i}] must be {"name": string, "template": string}`, 'tokenizer_config.json');
        }
        sources.set(e.name, e.template);
      }
    } else if (t !== undefined && t !== null) {
      throw new TokenizerError('tokenizer_config.json: chat_template must be a string or a list of {name, template}', 'tokenizer_config.json');
    }
    const specials: Record<string, string> = {};
    for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
      const text = tokenText(c[key]);
      if (text !== undefined) specials[key] = text;
    }
    return new ChatTemplate(sources, specials);
  }

  render(messages: ChatMessage[], options: ChatTemplateOptions): string {
    const name = options.name ?? 'default';
    const source = this.sources.get(name);
    if (source === undefined) {
      const have = [...this.sources.keys()];
      throw new TokenizerError(`no chat template named "${name}" in tokenizer_config.json (${have.length ? 'have: ' + have.join(', ') : 'it has none'})`);
    }
    let template = this.compiled.get(name);
    if (template === undefined) { template = new Template(source); this.compiled.set(name, template); }
    return template.render({
      ...this.specials,
      ...options.variables,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
    });
  }
}
