// evaluate(): mean token loss and perplexity of a model (with an adapter, if given) over a data source.
import { toBatches } from '../train/data.js';
import { type EvalResult, evaluate as meanLoss } from '../train/trainer.js';
import { type BackendOption, openAdapter, withModel } from './open.js';
import { readExamples } from './examples.js';
import type { DataSource, FolderSource } from './sources.js';

export interface EvaluateOptions {
  /** A model folder (default: the built-in model). */
  model?: FolderSource;
  /** A PEFT adapter folder (or the `files` of a finetune run). */
  adapter?: FolderSource;
  /** JSONL or text data (default: the built-in data). */
  data?: DataSource;
  backend?: BackendOption;
  halfWeights?: boolean;
}

export async function evaluate(o: EvaluateOptions = {}): Promise<EvalResult> {
  return withModel(o, async (opened) => {
    if (o.adapter !== undefined) await openAdapter(opened, o.adapter);
    const examples = await readExamples(o.data, opened.tokenizer, opened.eos, opened.config.vocabSize);
    // One example per batch: rows keep their own lengths, so nothing is padded or cut.
    return meanLoss(opened.model, examples.flatMap((e) => toBatches([e], 1)));
  });
}
