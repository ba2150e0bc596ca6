// config.json of a Hugging Face LLaMA-family checkpoint, read into the numbers runtime/model/llama.ts needs.
// Supported: model_type "llama" (LLaMA 2/3, TinyLlama, SmolLM), "qwen2" (biases on q/k/v, none on o) and
// "mistral" (optional sliding window); rotary scaling "default", "linear" and "llama3", with inv_freq computed
// as transformers' modeling_rope_utils does. Anything that would change the math and is not implemented
// (another rope type, partial rotary, another activation, quantisation, ...) is rejected with
// `[config] unsupported: <field>=<value>`: a model this file accepts computes the same numbers as transformers.

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

function unsupported(field: string, value: unknown, hint = ''): never {
  throw new Error(`[config] unsupported: ${field}=${JSON.stringify(value)}${hint ? ` (${hint})` : ''}`);
}

function integer(raw: Record<string, unknown>, field: string, fallback?: number): number {
  const v = raw[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`[config] ${field}=${JSON.stringify(raw[field])} must be a positive integer${v === undefined ? ' (missing from config.json)' : ''}`);
  }
  return v;
}

function number(raw: Record<string, unknown>, field: string, fallback?: number): number {
  const v = raw[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`[config] ${field}=${JSON.stringify(raw[field])} must be a number`);
  return v;
}

/** Parse config.json (its text or the parsed object). */
export function parseModelConfig(json: string | Record<string, unknown>): ModelConfig {
  const raw = typeof json === 'string' ? JSON.parse(json) as Record<string, unknown> : json;
  const modelType = raw.model_type as ModelType;
  if (!SUPPORTED_TYPES.includes(modelType)) unsupported('model_type', raw.model_type, `supported: ${SUPPORTED_TYPES.join(', ')}`);
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') unsupported('hidden_act', act, 'the MLP is SwiGLU with silu');
  if (raw.quantization_config != null) unsupported('quantization_config', raw.quantization_config, 'load an unquantised float checkpoint');
  if (raw.partial_rotary_factor != null && raw.partial_rotary_factor !== 1) unsupported('partial_rotary_factor', raw.partial_rotary_factor);
  if (raw.attention_dropout != null && raw.attention_dropout !== 0) unsupported('attention_dropout', raw.attention_dropout);

  const hidden = integer(raw, 'hidden_size');
  const heads = integer(raw, 'num_attention_heads');
  const kvHeads = integer(raw, 'num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw new Error(`[config] num_attention_heads=${heads} is not a multiple of num_key_value_heads=${kvHeads}`);
  if (raw.head_dim == null && hidden % heads !== 0) throw new Error(`[config] hidden_size=${hidden} is not divisible by num_attention_heads=${heads} and no head_dim is given`);
  const headDim = integer(raw, 'head_dim', hidden / heads);
  if (headDim % 2 !== 0) throw new Error(`[config] head_dim=${headDim} must be even for rotary embeddings`);
  const layers = integer(raw, 'num_hidden_layers');
  const maxPositions = integer(raw, 'max_position_embeddings', 2048);

  // transformers: Qwen2 always has q/k/v biases and none on o; Mistral has none; LLaMA has attention_bias
  // (q/k/v/o) and mlp_bias (gate/up/down) switches.
  const attentionBias = modelType === 'llama' && raw.attention_bias === true;
  const bias = modelType === 'qwen2'
    ? { qkv: true, o: false, mlp: false }
    : { qkv: attentionBias, o: attentionBias, mlp: modelType === 'llama' && raw.mlp_bias === true };

  return {
    modelType, hidden, heads, kvHeads, headDim, layers, maxPositions, bias, raw,
    vocabSize: integer(raw, 'vocab_size'),
    intermediate: integer(raw, 'intermediate_size'),
    rmsNormEps: number(raw, 'rms_norm_eps', 1e-6),
    invFreq: ropeInvFreq(raw, headDim),
    tieEmbeddings: raw.tie_word_embeddings === true,
    windows: slidingWindows(raw, modelType, layers),
  };
}

/** Per-layer attention windows, as transformers' Mistral and Qwen2 models build their masks. */
function slidingWindows(raw: Record<string, unknown>, modelType: ModelType, layers: number): (number | null)[] {
  const none = new Array<number | null>(layers).fill(null);
  if (modelType === 'llama') return none;
  const window = raw.sliding_window;
  if (window != null && !(typeof window === 'number' && Number.isInteger(window) && window > 0)) unsupported('sliding_window', window);
  if (modelType === 'mistral') return none.map(() => (window ?? null) as number | null);
  // qwen2: the window only exists with use_sliding_window, and then only on layers typed "sliding_attention"
  // (by default the layers from max_window_layers on).
  if (raw.use_sliding_window !== true || window == null) return none;
  const maxWindowLayers = integer(raw, 'max_window_layers', 28);
  const types = raw.layer_types as string[] | undefined;
  return none.map((_, i) => {
    const type = types ? types[i] : i >= maxWindowLayers ? 'sliding_attention' : 'full_attention';
    if (type !== 'sliding_attention' && type !== 'full_attention') unsupported(`layer_types[${i}]`, type);
    return type === 'sliding_attention' ? window as number : null;
  });
}

/** inv_freq[i] = theta^(-2i/E), then the configured scaling. transformers 4.x keeps `rope_theta` and
 *  `rope_scaling` ({type | rope_type, factor, ...}) at the top level; 5.x nests both in `rope_parameters`. */
function ropeInvFreq(raw: Record<string, unknown>, headDim: number): Float32Array {
  const params = (raw.rope_parameters ?? raw.rope_scaling ?? {}) as Record<string, unknown>;
  const field = raw.rope_parameters != null ? 'rope_parameters' : 'rope_scaling';
  const type = (params.rope_type ?? params.type ?? 'default') as string;
  const theta = number({ rope_theta: params.rope_theta ?? raw.rope_theta }, 'rope_theta', 10000);
  if (params.partial_rotary_factor != null && params.partial_rotary_factor !== 1) unsupported(`${field}.partial_rotary_factor`, params.partial_rotary_factor);
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** ((2 * i) / headDim);
  const need = (key: string): number => {
    const v = params[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`[config] ${field}.${key}=${JSON.stringify(v)} must be a number (rope type "${type}")`);
    return v;
  };
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
      unsupported(`${field}.rope_type`, type, 'supported: default, linear, llama3');
  }
  if (params.attention_factor != null && params.attention_factor !== 1) unsupported(`${field}.attention_factor`, params.attention_factor);
  return Float32Array.from(inv);
}
