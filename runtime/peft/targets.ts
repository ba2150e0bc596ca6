// Which modules an adapter config targets, decided as PEFT's check_target_module_exists does:
// exclude_modules first (regex string: full match; list: exact path or ".name" suffix), then target_modules
// (regex string: full match on the module path; list: exact path, or ".name" suffix further filtered by
// layers_to_transform, whose layer index is the number after `layers_pattern` or after the first
// "<name>.<number>." segment). "all-linear" becomes the list of every linear module except the output head.
// Python regexes are used as JavaScript ones; named groups (?P<name>...) are translated.
import type { TargetRules } from './config.js';

/** PEFT's default target modules for LLaMA-family models (TRANSFORMERS_MODELS_TO_*_TARGET_MODULES_MAPPING). */
export const DEFAULT_TARGETS = ['q_proj', 'v_proj'];

function fullMatch(pattern: string, key: string): boolean {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern.replace(/\(\?P</g, '(?<')})$`);
  } catch (e) {
    throw new Error(`[peft] target regex ${JSON.stringify(pattern)} is not a valid regular expression (${(e as Error).message})`);
  }
  return re.test(key);
}

const listMatch = (list: string[], key: string) => list.includes(key) || list.some((name) => key.endsWith(`.${name}`));

function layerIndex(rules: TargetRules, key: string): number | null {
  const patterns = rules.layersPattern == null || rules.layersPattern.length === 0
    ? [null]
    : typeof rules.layersPattern === 'string' ? [rules.layersPattern] : rules.layersPattern;
  for (const p of patterns) {
    const m = new RegExp(p === null ? '^.*?\\.[^.]*\\.(\\d+)\\.' : `^.*?\\.${p}\\.(\\d+)\\.`).exec(key);
    if (m) return Number(m[1]);
  }
  return null;
}

/** Whether the module at `key` gets the adapter. `linearModules` lists every linear module path of the model
 *  (the output head included), for "all-linear". */
export function isTargeted(rules: TargetRules, key: string, linearModules: string[], outputHead = 'lm_head'): boolean {
  const ex = rules.excludeModules;
  if (ex != null && (typeof ex === 'string' ? fullMatch(ex, key) : listMatch(ex, key))) return false;
  let targets = rules.targetModules ?? DEFAULT_TARGETS;
  if (typeof targets === 'string' && targets.toLowerCase() === 'all-linear') targets = linearModules.filter((m) => m !== outputHead);
  if (typeof targets === 'string') return fullMatch(targets, key);
  if (targets.includes(key)) return true;
  if (!listMatch(targets, key)) return false;
  const wanted = rules.layersToTransform;
  if (wanted == null || (Array.isArray(wanted) && wanted.length === 0)) return true;
  const index = layerIndex(rules, key);
  if (index === null) return false;
  return typeof wanted === 'number' ? index === wanted : wanted.includes(index);
}
