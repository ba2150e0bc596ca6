// Adapter configurations as PEFT spells them, and the checks that reject impossible shapes up front.
// Math and semantics: docs/blocks.md (Bone = PEFT MiSS init_weights=true, mini = "mini", Bat = "bat").

import { OsteonError } from '../errors.js';

export type Variant = 'bone' | 'mini' | 'bat' | 'lora';

// `dropout` (PEFT's miss_dropout / lora_dropout) applies to the adapter's input during training only;
// Bat has none (PEFT's Bat path ignores miss_dropout too).
export interface BoneConfig { variant: 'bone'; r: number; dropout?: number }
export interface MiniConfig { variant: 'mini'; r: number; miniR: number; dropout?: number }
export interface BatConfig { variant: 'bat'; r: number }
export interface LoraConfig { variant: 'lora'; r: number; alpha: number; dropout?: number }
export type AdapterConfig = BoneConfig | MiniConfig | BatConfig | LoraConfig;

/** Throws a clear error when `config` cannot adapt a [out, in] linear layer. */
export function checkConfig(config: AdapterConfig, inF: number, out: number, layer = 'layer'): void {
  const { variant, r } = config;
  if (!Number.isInteger(r) || r < 1) throw new OsteonError(variant, `r=${r} on ${layer} must be a positive integer`);
  if (variant === 'bat') {
    if (inF % r !== 0) {
      throw new OsteonError('bat', `in_features=${inF} of ${layer} is not divisible by r=${r}; Bat needs whole r x r blocks (use Bone, or an r that divides ${inF})`);
    }
    if (out % r !== 0) {
      throw new OsteonError('bat', `out_features=${out} of ${layer} is not divisible by r=${r}; Bat needs whole r x r blocks (use Bone, or an r that divides ${out})`);
    }
  }
  if (variant === 'mini') {
    const m = config.miniR;
    if (!Number.isInteger(m) || m < 1) throw new OsteonError('mini', `mini_r=${m} on ${layer} must be a positive integer`);
    if (out % m !== 0) throw new OsteonError('mini', `out_features=${out} of ${layer} is not divisible by mini_r=${m} (choose a mini_r that divides ${out})`);
  }
  if (variant === 'lora' && !(Number.isFinite(config.alpha))) throw new OsteonError('lora', `lora_alpha=${config.alpha} on ${layer} must be a number`);
  const p = 'dropout' in config ? config.dropout ?? 0 : 0;
  if (!(p >= 0 && p < 1)) throw new OsteonError(variant, `dropout=${p} on ${layer} must be in [0, 1)`);
}

/** Shape of each trainable tensor of the adapter on a [out, in] layer. */
export function paramShapes(config: AdapterConfig, inF: number, out: number): Record<string, number[]> {
  switch (config.variant) {
    case 'bone': return { block: [config.r, out] };
    case 'mini': return { block: [config.r, config.miniR] };
    case 'bat': return { block: [out / config.r, config.r, config.r] };
    case 'lora': return { A: [config.r, inF], B: [out, config.r] };
  }
}

/** Trainable parameter count of the adapter on a [out, in] layer. */
export function parameterCount(config: AdapterConfig, inF: number, out: number): number {
  return Object.values(paramShapes(config, inF, out)).reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);
}
