// evaluate(): mean token loss and perplexity of a model (with an adapter, if given) over a data source.
import { OsteonError } from '../errors.js';
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
    // One example per batch: rows keep their own lengths, so nothing is padded or cut. An example longer than
    // the model's context is refused, as generate refuses such a prompt (finetune cuts rows of --seq tokens).
    const context = opened.config.maxPositions;
    const long = examples.findIndex((e) => e.ids.length > context);
    if (long >= 0) {
      throw new OsteonError('eval', `example ${long + 1} of the data has ${examples[long].ids.length} tokens, more than the model's context ` +
        `(max_position_embeddings=${context}); split or shorten it to ${context} tokens or fewer`);
    }
    return meanLoss(opened.model, examples.flatMap((e) => toBatches([e], 1)));
  });
}
