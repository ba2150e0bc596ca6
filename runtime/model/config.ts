// config.json of a Hugging Face LLaMA-family checkpoint, read into the numbers runtime/model/llama.ts needs.
// Supported: model_type "llama" (LLaMA 2/3, TinyLlama, SmolLM), "qwen2" (biases on q/k/v, none on o) and
// "mistral" (optional sliding window); rotary scaling "default", "linear" and "llama3", with inv_freq computed
// as transformers' modeling_rope_utils does. Anything that would change the math and is not implemented
// (another rope type, partial rotary, another activation, quantisation, ...) is rejected with
// `[config] unsupported: <field>=<value>`: a model this file accepts computes the same numbers as transformers.
// Every field the math reads is checked for its type and range before anything is allocated (rope_theta > 0,
// rms_norm_eps >= 0, rope factors > 0, divisibility of heads), and so is the model's size: a config that
// describes more weights than any backend can hold (a huge num_hidden_layers or head_dim) is refused with the
// size, instead of hanging while per-layer tables are built. Errors are OsteonErrors naming config.json.
import { OsteonError, parseJsonObject, shown } from '../errors.js';

export type ModelType = 'llama' | 'qwen2' | 'mistral';

export interface ModelConfig {
  modelType: ModelType;
  vocabSize: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsNormEps: number;
  /** Rotary inverse frequencies [headDim / 2] after any scaling, rounded to float32 as transformers keeps them. */
  invFreq: Float32Array;
  /** lm_head shares the embedding matrix (no lm_head.weight in the checkpoint). */
  tieEmbeddings: boolean;
  /** Which projections carry a bias. */
  bias: { qkv: boolean; o: boolean; mlp: boolean };
  /** Sliding attention window per layer (null = plain causal). */
  windows: (number | null)[];
  maxPositions: number;
  /** The parsed config.json, unchanged. */
  raw: Record<string, unknown>;
}

const SUPPORTED_TYPES: ModelType[] = ['llama', 'qwen2', 'mistral'];

/** Above these no backend can hold the model (a Float32Array holds at most 2^32 values; the largest published
 *  dense models have about 4e11 parameters, under 200 layers and heads of at most 256 dimensions), so the
 *  config is refused before any per-layer or rotary table of that size is built. */
export const MAX_PARAMETERS = 2 ** 40;
export const MAX_LAYERS = 4096;
export const MAX_HEAD_DIM = 2 ** 16;
export const MAX_TENSOR_VALUES = 2 ** 32;

/** Reads fields of one config.json, naming the file in every error. */
class Fields {
  constructor(readonly raw: Record<string, unknown>, readonly source: string) {}

  fail(message: string): never {
    throw new OsteonError('config', `${message}; file: ${this.source}`, this.source);
  }

  unsupported(field: string, value: unknown, hint = ''): never {
    this.fail(`unsupported: ${field}=${shown(value)}${hint ? ` (${hint})` : ''}`);
  }

  /** A positive integer (`fallback` when absent; `value` when it is not a top-level field). */
  integer(field: string, fallback?: number, value: unknown = this.raw[field]): number {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      this.fail(`${field}=${shown(value)} must be a positive integer${v === undefined ? ' (missing from config.json)' : ''}`);
    }
    return v;
  }

  /** A finite number within `range` ('> 0' or '>= 0'). */
  number(field: string, range: '> 0' | '>= 0', fallback?: number, value: unknown = this.raw[field]): number {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || (range === '> 0' ? v <= 0 : v < 0)) {
      this.fail(`${field}=${shown(value)} must be a number ${range}${v === undefined ? ' (missing from config.json)' : ''}`);
    }
    return v;
  }

  /** true, false, or absent (false). */
  flag(field: string): boolean {
    const v = this.raw[field];
    if (v != null && typeof v !== 'boolean') this.fail(`${field}=${shown(v)} must be true or false`);
    return v === true;
  }

  /** An object, or absent (null). */
  object(field: string): Record<string, unknown> | null {
    const v = this.raw[field];
    if (v == null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(`${field}=${shown(v)} must be an object`);
    return v as Record<string, unknown>;
  }
}

/** Parse config.json (its text or the parsed object); `source` names the file in errors. */
export function parseModelConfig(json: string | Record<string, unknown>, source = 'config.json'): ModelConfig {
  const raw = typeof json === 'string' ? parseJsonObject(json, 'config', source) : json;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new OsteonError('config', `${source} must hold a JSON object, not ${shown(raw)}; fix or re-export the file`, source);
  }
  const f = new Fields(raw, source);
  const modelType = raw.model_type as ModelType;
  if (!SUPPORTED_TYPES.includes(modelType)) f.unsupported('model_type', raw.model_type, `supported: ${SUPPORTED_TYPES.join(', ')}`);
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') f.unsupported('hidden_act', act, 'the MLP is SwiGLU with silu');
  if (raw.quantization_config != null) f.unsupported('quantization_config', raw.quantization_config, 'load an unquantised float checkpoint');
  if (raw.partial_rotary_factor != null && raw.partial_rotary_factor !== 1) f.unsupported('partial_rotary_factor', raw.partial_rotary_factor);
  if (raw.attention_dropout != null && raw.attention_dropout !== 0) f.unsupported('attention_dropout', raw.attention_dropout);

  const hidden = f.integer('hidden_size');
  const heads = f.integer('num_attention_heads');
  const kvHeads = f.integer('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) f.fail(`num_attention_heads=${heads} is not a multiple of num_key_value_heads=${kvHeads}`);
  if (raw.head_dim == null && hidden % heads !== 0) f.fail(`hidden_size=${hidden} is not divisible by num_attention_heads=${heads} and no head_dim is given`);
  const headDim = f.integer('head_dim', hidden / heads);
  if (headDim % 2 !== 0) f.fail(`head_dim=${headDim} must be even for rotary embeddings`);
  const layers = f.integer('num_hidden_layers');
  const maxPositions = f.integer('max_position_embeddings', 2048);
  const vocabSize = f.integer('vocab_size');
  const intermediate = f.integer('intermediate_size');
  const tieEmbeddings = f.flag('tie_word_embeddings');

  // transformers: Qwen2 always has q/k/v biases and none on o; Mistral has none; LLaMA has attention_bias
  // (q/k/v/o) and mlp_bias (gate/up/down) switches.
  const attentionBias = f.flag('attention_bias') && modelType === 'llama';
  const bias = modelType === 'qwen2'
    ? { qkv: true, o: false, mlp: false }
    : { qkv: attentionBias, o: attentionBias, mlp: f.flag('mlp_bias') && modelType === 'llama' };
  checkSize(f, { vocabSize, hidden, intermediate, layers, heads, kvHeads, headDim, tieEmbeddings, bias });
  for (const field of ['eos_token_id', 'bos_token_id']) tokenIds(f, field, vocabSize);

  return {
    modelType, hidden, heads, kvHeads, headDim, layers, maxPositions, bias, raw, vocabSize, intermediate, tieEmbeddings,
    rmsNormEps: f.number('rms_norm_eps', '>= 0', 1e-6),
    invFreq: ropeInvFreq(f, headDim),
    windows: slidingWindows(f, modelType, layers),
  };
}

type Sizes = Pick<ModelConfig, 'vocabSize' | 'hidden' | 'intermediate' | 'layers' | 'heads' | 'kvHeads' | 'headDim' | 'tieEmbeddings' | 'bias'>;

/** The number of weights (parameters) of the base model, as weightShapes lists them. */
export function weightCount(c: Sizes): number {
  const q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  const perLayer = 2 * c.hidden * q + 2 * c.hidden * kv + 3 * c.hidden * c.intermediate + 2 * c.hidden +
    (c.bias.qkv ? q + 2 * kv : 0) + (c.bias.o ? c.hidden : 0) + (c.bias.mlp ? 2 * c.intermediate + c.hidden : 0);
  return c.vocabSize * c.hidden * (c.tieEmbeddings ? 1 : 2) + c.layers * perLayer + c.hidden;
}

/** Refuse sizes no backend can hold, naming the size and the fields that set it. */
function checkSize(f: Fields, c: Sizes): void {
  if (c.layers > MAX_LAYERS) f.fail(`num_hidden_layers=${c.layers} is more than any model osteon can run (at most ${MAX_LAYERS}); check the value`);
  if (c.headDim > MAX_HEAD_DIM) f.fail(`head_dim=${c.headDim} is more than any model osteon can run (at most ${MAX_HEAD_DIM}); check the value`);
  const largest: [string, number][] = [
    ['embed_tokens (vocab_size x hidden_size)', c.vocabSize * c.hidden],
    ['q_proj (num_attention_heads x head_dim x hidden_size)', c.heads * c.headDim * c.hidden],
    ['k_proj (num_key_value_heads x head_dim x hidden_size)', c.kvHeads * c.headDim * c.hidden],
    ['mlp (intermediate_size x hidden_size)', c.intermediate * c.hidden],
  ];
  for (const [what, values] of largest) {
    if (values > MAX_TENSOR_VALUES) f.fail(`${what} would hold ${values.toExponential(2)} values (${bytes(4 * values)} as float32), more than one tensor can hold (${MAX_TENSOR_VALUES}); check the sizes in config.json`);
  }
  const total = weightCount(c);
  if (total > MAX_PARAMETERS) {
    f.fail(`the model would have ${total.toExponential(2)} weights (${bytes(4 * total)} as float32; num_hidden_layers=${c.layers}, hidden_size=${c.hidden}, ` +
      `intermediate_size=${c.intermediate}, head_dim=${c.headDim}), more than any backend can hold; check the sizes in config.json`);
  }
}

/** A byte count for people: "5.2 GiB". */
export function bytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}

/** eos_token_id / bos_token_id: absent, null, one id or a list of ids, each in the vocabulary. */
function tokenIds(f: Fields, field: string, vocabSize: number): void {
  const v = f.raw[field];
  if (v == null) return;
  const ids = Array.isArray(v) ? v : [v];
  if (!ids.every((id) => Number.isSafeInteger(id) && id >= 0 && id < vocabSize)) {
    f.fail(`${field}=${shown(v)} must be a token id (or a list of them) in 0..${vocabSize - 1}, the vocabulary of vocab_size=${vocabSize}`);
  }
}

/** Per-layer attention windows, as transformers' Mistral and Qwen2 models build their masks. */
function slidingWindows(f: Fields, modelType: ModelType, layers: number): (number | null)[] {
  const raw = f.raw;
  const none = new Array<number | null>(layers).fill(null);
  if (modelType === 'llama') return none;
  const window = raw.sliding_window;
  if (window != null && !(typeof window === 'number' && Number.isSafeInteger(window) && window > 0)) f.unsupported('sliding_window', window);
  if (modelType === 'mistral') return none.map(() => (window ?? null) as number | null);
  // qwen2: the window only exists with use_sliding_window, and then only on layers typed "sliding_attention"
  // (by default the layers from max_window_layers on).
  if (!f.flag('use_sliding_window') || window == null) return none;
  const maxWindowLayers = f.integer('max_window_layers', 28);
  const types = raw.layer_types;
  if (types != null && !(Array.isArray(types) && types.length === layers)) {
    f.fail(`layer_types=${shown(types)} must list one type per layer (num_hidden_layers=${layers})`);
  }
  return none.map((_, i) => {
    const type = types ? (types as unknown[])[i] : i >= maxWindowLayers ? 'sliding_attention' : 'full_attention';
    if (type !== 'sliding_attention' && type !== 'full_attention') f.unsupported(`layer_types[${i}]`, type);
    return type === 'sliding_attention' ? window as number : null;
  });
}

/** inv_freq[i] = theta^(-2i/E), then the configured scaling. transformers 4.x keeps `rope_theta` and
 *  `rope_scaling` ({type | rope_type, factor, ...}) at the top level; 5.x nests both in `rope_parameters`. */
function ropeInvFreq(f: Fields, headDim: number): Float32Array {
  const raw = f.raw;
  const field = raw.rope_parameters != null ? 'rope_parameters' : 'rope_scaling';
  const params = f.object(field) ?? {};
  const type = (params.rope_type ?? params.type ?? 'default') as string;
  const thetaField = params.rope_theta != null ? `${field}.rope_theta` : 'rope_theta';
  const theta = f.number(thetaField, '> 0', 10000, params.rope_theta ?? raw.rope_theta);
  if (params.partial_rotary_factor != null && params.partial_rotary_factor !== 1) f.unsupported(`${field}.partial_rotary_factor`, params.partial_rotary_factor);
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** ((2 * i) / headDim);
  const need = (key: string): number => f.number(`${field}.${key}`, '> 0', undefined, params[key]);
  switch (type) {
    case 'default':
      break;
    case 'linear': {
      const factor = need('factor');
      for (let i = 0; i < half; i++) inv[i] /= factor;
      break;
    }
    case 'llama3': {
      // Long wavelengths are divided by `factor`, short ones kept, the band between interpolated smoothly.
      const factor = need('factor'), low = need('low_freq_factor'), high = need('high_freq_factor');
      const oldContext = need('original_max_position_embeddings');
      if (high <= low) f.fail(`${field}.high_freq_factor=${high} must be above low_freq_factor=${low} (rope type "llama3")`);
      const lowWavelen = oldContext / low, highWavelen = oldContext / high;
      for (let i = 0; i < half; i++) {
        const wavelen = (2 * Math.PI) / inv[i];
        if (wavelen > lowWavelen) inv[i] /= factor;
        else if (wavelen >= highWavelen) {
          const smooth = (oldContext / wavelen - low) / (high - low);
          inv[i] = (1 - smooth) * (inv[i] / factor) + smooth * inv[i];
        }
      }
      break;
    }
    default:
      f.unsupported(`${field}.rope_type`, type, 'supported: default, linear, llama3');
  }
  if (params.attention_factor != null && params.attention_factor !== 1) f.unsupported(`${field}.attention_factor`, params.attention_factor);
  return Float32Array.from(inv);
}
