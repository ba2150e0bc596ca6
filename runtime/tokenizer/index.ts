// The tokenizer's public surface.
export { Tokenizer } from './tokenizer.js';
export type { EncodeOptions, DecodeOptions } from './tokenizer.js';
export type { ChatMessage, ChatTemplateOptions } from './chat.js';
export { TokenizerError } from './json.js';
export { trainTokenizer, linesOf } from './train.js';
export type { TrainOptions, TrainProgress } from './train.js';
