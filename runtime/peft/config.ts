// adapter_config.json as Hugging Face PEFT writes it, for peft_type "MISS" (Bone / Bat / mini), the legacy
// "BONE" (PEFT before 0.19; same math, read and written back as MISS) and "LORA". Field meanings: docs/blocks.md
// "Files" and PEFT's MissConfig / LoraConfig. Every field of the file is kept in `raw` and written back
// unchanged, so a round trip through osteon loses nothing. Options that would change the math and are not
// implemented (trainable biases, modules_to_save, DoRA, rsLoRA, per-module ranks, ...) are rejected with
// `[peft] unsupported: <field>=<value>` instead of being silently ignored. Dropout values are kept but not
// applied: the model computes PEFT's eval-mode numbers. Every error is an OsteonError of component "peft"
// naming the file (`source`, adapter_config.json unless the caller knows its path).
import type { AdapterConfig } from '../adapters/config.js';
import { OsteonError, inFile, parseJsonObject, shown } from '../errors.js';

export type PeftType = 'MISS' | 'BONE' | 'LORA';

/** PEFT's target selection fields (runtime/peft/targets.ts applies them). */
export interface TargetRules {
  /** A list (exact path or suffix match), a regex string (full match on the module path), "all-linear",
   *  or null (PEFT's default for the architecture: q_proj and v_proj for LLaMA-family models). */
  targetModules: string[] | string | null;
  excludeModules: string[] | string | null;
  layersToTransform: number[] | number | null;
  layersPattern: string[] | string | null;
}

export interface PeftAdapterConfig {
  peftType: PeftType;
  /** The per-layer adapter every targeted module gets. */
  adapter: AdapterConfig;
  targets: TargetRules;
  /** adapter_config.json as read (or as a fresh PEFT config would be written). */
  raw: Record<string, unknown>;
}

/** A field error; parsePeftConfig adds the file (inFile). */
function fail(message: string): never {
  throw new OsteonError('peft', message);
}

function unsupported(field: string, value: unknown, hint = ''): never {
  fail(`unsupported: ${field}=${shown(value)}${hint ? ` (${hint})` : ''}`);
}

const empty = (v: unknown) => v == null || v === false || (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

function positiveInt(raw: Record<string, unknown>, field: string, fallback?: number): number {
  const v = raw[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(`${field}=${shown(raw[field])} must be a positive integer`);
  return v;
}

function stringsOrString(raw: Record<string, unknown>, field: string): string[] | string | null {
  const v = raw[field];
  if (v == null) return null;
  if (typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'))) return v as string[] | string;
  fail(`${field}=${shown(v)} must be a list of module names or a regex string`);
}

function targetRules(raw: Record<string, unknown>): TargetRules {
  const layers = raw.layers_to_transform;
  const index = (l: unknown) => Number.isSafeInteger(l) && (l as number) >= 0;
  if (layers != null && !(index(layers) || (Array.isArray(layers) && layers.every(index)))) {
    fail(`layers_to_transform=${shown(layers)} must be a layer index or a list of them`);
  }
  const rules: TargetRules = {
    targetModules: stringsOrString(raw, 'target_modules'),
    excludeModules: stringsOrString(raw, 'exclude_modules'),
    layersToTransform: layers as number[] | number | null ?? null,
    layersPattern: stringsOrString(raw, 'layers_pattern'),
  };
  if (typeof rules.targetModules === 'string' && rules.targetModules.toLowerCase() !== 'all-linear' &&
    (rules.layersToTransform != null || rules.layersPattern != null)) {
    fail('layers_to_transform and layers_pattern cannot be combined with a regex target_modules (PEFT rejects this too)');
  }
  return rules;
}

/** A dropout probability field (absent = 0). */
function probability(raw: Record<string, unknown>, field: string): number {
  const v = raw[field] ?? 0;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(`${field}=${shown(raw[field])} must be a number in [0, 1)`);
  return v;
}

/** Parse adapter_config.json (its text or the parsed object); `source` names the file in errors. */
export function parsePeftConfig(json: string | Record<string, unknown>, source = 'adapter_config.json'): PeftAdapterConfig {
  if (typeof json !== 'string' && (typeof json !== 'object' || json === null || Array.isArray(json))) {
    throw new OsteonError('peft', `${source} must hold a JSON object, not ${shown(json)}; fix or re-export the file`, source);
  }
  const raw = typeof json === 'string' ? parseJsonObject(json, 'peft', source) : { ...json };
  try {
    return parseFields(raw);
  } catch (e) {
    throw inFile(e, source);
  }
}

function parseFields(raw: Record<string, unknown>): PeftAdapterConfig {
  for (const field of ['base_model_name_or_path', 'revision', 'task_type']) {
    if (raw[field] != null && typeof raw[field] !== 'string') fail(`${field}=${shown(raw[field])} must be a string or null`);
  }
  if (raw.inference_mode != null && typeof raw.inference_mode !== 'boolean') fail(`inference_mode=${shown(raw.inference_mode)} must be true or false`);
  const peftType = raw.peft_type as PeftType;
  if (!['MISS', 'BONE', 'LORA'].includes(peftType)) unsupported('peft_type', raw.peft_type, 'supported: MISS, BONE, LORA');
  if (raw.bias != null && raw.bias !== 'none') unsupported('bias', raw.bias, 'only "none": base biases stay frozen');
  if (!empty(raw.modules_to_save)) unsupported('modules_to_save', raw.modules_to_save, 'fully trained extra modules are not implemented');
  if (!empty(raw.layer_replication)) unsupported('layer_replication', raw.layer_replication);
  const r = positiveInt(raw, 'r');
  let adapter: AdapterConfig;
  if (peftType === 'LORA') {
    for (const field of ['use_dora', 'use_rslora', 'fan_in_fan_out', 'lora_bias', 'rank_pattern', 'alpha_pattern', 'target_parameters', 'trainable_token_indices', 'megatron_config']) {
      if (!empty(raw[field])) unsupported(field, raw[field]);
    }
    const alpha = raw.lora_alpha ?? 8;
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) fail(`lora_alpha=${shown(alpha)} must be a number`);
    adapter = { variant: 'lora', r, alpha, dropout: probability(raw, 'lora_dropout') };
  } else {
    const init = raw.init_weights ?? true;
    // init_weights=false only changes how a new block is initialised (random instead of zeros): same layer.
    const dropout = peftType === 'BONE' ? 0 : probability(raw, 'miss_dropout'); // BoneConfig had no dropout
    if (init === true || init === false) adapter = { variant: 'bone', r, dropout };
    else if (init === 'bat') adapter = { variant: 'bat', r };
    else if (init === 'mini' && peftType === 'MISS') adapter = { variant: 'mini', r, miniR: positiveInt(raw, 'mini_r', 1), dropout };
    else unsupported('init_weights', init, peftType === 'BONE' ? 'BONE supports true, false and "bat"' : 'supported: true, false, "bat", "mini"');
  }
  return { peftType, adapter, targets: targetRules(raw), raw };
}

/** A new PEFT config with every field PEFT writes, for an adapter created here. */
export function newPeftConfig(adapter: AdapterConfig, targetModules: string[] | string, extra: Record<string, unknown> = {}): PeftAdapterConfig {
  const common = {
    auto_mapping: null, base_model_name_or_path: null, bias: 'none', exclude_modules: null, inference_mode: false,
    layers_pattern: null, layers_to_transform: null, modules_to_save: null, revision: null,
    target_modules: targetModules, task_type: 'CAUSAL_LM', r: adapter.r,
  };
  const raw: Record<string, unknown> = adapter.variant === 'lora'
    ? { ...common, peft_type: 'LORA', lora_alpha: adapter.alpha, lora_dropout: adapter.dropout ?? 0.0, use_dora: false, use_rslora: false, fan_in_fan_out: false, init_lora_weights: true }
    : {
      ...common, peft_type: 'MISS', miss_dropout: adapter.variant === 'bat' ? 0.0 : adapter.dropout ?? 0.0,
      init_weights: adapter.variant === 'bone' ? true : adapter.variant,
      mini_r: adapter.variant === 'mini' ? adapter.miniR : 1,
    };
  return parsePeftConfig({ ...raw, ...extra });
}

/** adapter_config.json text for saving: every field kept, keys sorted as PEFT writes them. A legacy BONE
 *  config is written as MISS (current PEFT no longer reads BONE), with MISS's defaults for its new fields. */
export function peftConfigText(config: PeftAdapterConfig): string {
  const raw: Record<string, unknown> = { ...config.raw };
  if (config.peftType === 'BONE') Object.assign(raw, { peft_type: 'MISS', miss_dropout: raw.miss_dropout ?? 0.0, mini_r: raw.mini_r ?? 1 });
  const sorted = Object.fromEntries(Object.keys(raw).sort().map((k) => [k, raw[k]]));
  return JSON.stringify(sorted, null, 2);
}
