// The built-in model and task. The model: a 4 M-parameter LLaMA that osteon pretrained itself on public-domain
// English (`npm run pretrain-builtin`, pretrain/). The task: fine-tuning it on the State of the Union
// addresses, three whole addresses held out. Both ship beside the running bundle in builtin/ (build.mjs puts
// them there; `osteon web` serves them to the page), so the model goes through the same loader as any Hugging
// Face folder: read from disk in Node, over HTTP in a page.
export const BUILTIN_FOLDER = new URL('./builtin/', import.meta.url);
export const BUILTIN_DATA = new URL('./builtin/sotu-train.jsonl', import.meta.url);
export const BUILTIN_EVAL_DATA = new URL('./builtin/sotu-eval.jsonl', import.meta.url);

/** The prompt, length and sampling of the continuation shown before and after fine-tuning the built-in model. */
export const BUILTIN_SAMPLE = { prompt: 'My fellow Americans, tonight', maxNewTokens: 40, temperature: 0.8, topK: 40, seed: 1 };
