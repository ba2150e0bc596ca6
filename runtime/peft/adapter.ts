// A PEFT adapter on a whole model: attach one to the targeted AdaptedLinear layers, load one from a PEFT
// folder (adapter_config.json + adapter_model.safetensors), save one in the same layout. Tensor names are
// PEFT's: `base_model.model.<module path>.miss_block` (legacy `.bone_block` is read too) and
// `...lora_A.weight` / `...lora_B.weight`; values are written as float32, as PEFT saves them by default.
// A file that does not fit the model is rejected before anything is attached.
import { type LayerAdapter } from '../adapters/linear.js';
import { checkConfig, paramShapes } from '../adapters/config.js';
import { readSafetensors, toFloat32, writeSafetensors, type TensorToWrite } from '../safetensors.js';
import { type FileSource, readJsonFile } from '../model/files.js';
import { countNonFinite } from '../model/checkpoint.js';
import { OsteonError, inFile, shown } from '../errors.js';
import type { LlamaModel } from '../model/llama.js';
import { type PeftAdapterConfig, parsePeftConfig, peftConfigText } from './config.js';
import { isTargeted } from './targets.js';

export const CONFIG_FILE = 'adapter_config.json';
export const WEIGHTS_FILE = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

export interface ModelAdapter {
  name: string;
  config: PeftAdapterConfig;
  /** Adapted module path -> the adapter on that layer, in model order. */
  layers: Map<string, LayerAdapter>;
}

/** PEFT's file key for a parameter (`block`, `A`, `B`) of the adapter on `path`. */
export function peftKey(path: string, param: string, legacyBone = false): string {
  if (param === 'block') return `${PREFIX}${path}.${legacyBone ? 'bone_block' : 'miss_block'}`;
  return `${PREFIX}${path}.lora_${param}.weight`;
}

/** Module paths the config targets, checked to be adaptable. */
function targetPaths(model: LlamaModel, config: PeftAdapterConfig): string[] {
  const linear = [...model.linears.keys(), 'lm_head'];
  const chosen = linear.filter((path) => isTargeted(config.targets, path, linear));
  if (chosen.includes('lm_head')) throw new OsteonError('peft', 'unsupported: target_modules includes lm_head (the output head is not adaptable here)');
  if (chosen.length === 0) {
    throw new OsteonError('peft', `target_modules=${shown(config.targets.targetModules)} matches no linear layer of this model ` +
      `(its layers are named like ${[...model.linears.keys()].slice(0, 7).map((p) => p.split('.').pop()).join(', ')})`);
  }
  for (const path of chosen) {
    const l = model.linears.get(path)!;
    checkConfig(config.adapter, l.in, l.out, path);
  }
  return chosen;
}

/** Add a freshly initialised adapter named `name` to every targeted layer and make it active. */
export function attachAdapter(model: LlamaModel, config: PeftAdapterConfig, name = 'default', seed = 0): ModelAdapter {
  const paths = targetPaths(model, config);
  const taken = paths.find((path) => model.linears.get(path)!.adapters.has(name));
  if (taken) throw new OsteonError('peft', `${taken} already has an adapter named "${name}"; choose another name`);
  const layers = new Map<string, LayerAdapter>();
  for (const [i, path] of paths.entries()) layers.set(path, model.linears.get(path)!.addAdapter(name, config.adapter, seed + i));
  return { name, config, layers };
}

/** Load a PEFT adapter folder onto the model as adapter `name`. */
export async function loadAdapter(model: LlamaModel, files: FileSource, name = 'default'): Promise<ModelAdapter> {
  for (const f of [CONFIG_FILE, WEIGHTS_FILE]) {
    if (!(await files.exists(f))) throw new OsteonError('peft', `${files.name} has no ${f} (a PEFT adapter folder holds ${CONFIG_FILE} and ${WEIGHTS_FILE})`, files.name);
  }
  const source = `${files.name}/${CONFIG_FILE}`;
  const config = parsePeftConfig(await readJsonFile(files, CONFIG_FILE, 'peft'), source);
  const weights = `${files.name}/${WEIGHTS_FILE}`;
  const file = readSafetensors(await files.read(WEIGHTS_FILE), weights);
  let paths: string[];
  try {
    paths = targetPaths(model, config);
  } catch (e) {
    throw inFile(e, source);
  }
  const values = new Map<string, Map<string, Float32Array>>();
  const used = new Set<string>();
  for (const path of paths) {
    const l = model.linears.get(path)!;
    const perParam = new Map<string, Float32Array>();
    for (const [param, shape] of Object.entries(paramShapes(config.adapter, l.in, l.out))) {
      const key = [peftKey(path, param), peftKey(path, param, true)].find((k) => file.tensors.has(k));
      if (!key) throw new OsteonError('peft', `${weights} has no ${peftKey(path, param)} although ${CONFIG_FILE} targets ${path}`, weights);
      const t = file.tensors.get(key)!;
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new OsteonError('peft', `${weights}: ${key} is [${t.shape}] but ${path} (out=${l.out}, in=${l.in}) with ` +
          `${config.adapter.variant} r=${config.adapter.r} needs [${shape}]: the file was made with another r than ${CONFIG_FILE} says, ` +
          'or for a different base model', weights);
      }
      const data = toFloat32(t);
      const bad = countNonFinite(data);
      if (bad) {
        throw new OsteonError('peft', `${weights}: ${key} holds ${bad} NaN or infinite value(s) of ${data.length}; ` +
          'the adapter is damaged or its training diverged: train it again with a lower --lr', weights);
      }
      perParam.set(param, data);
      used.add(key);
    }
    values.set(path, perParam);
  }
  const extra = [...file.tensors.keys()].filter((k) => !used.has(k));
  if (extra.length) {
    throw new OsteonError('peft', `${weights} has ${extra.length} tensor(s) for modules ${CONFIG_FILE} does not target, e.g. ${extra[0]} ` +
      '(config and weights do not belong together)', weights);
  }
  const adapter = attachAdapter(model, config, name);
  for (const [path, layer] of adapter.layers) {
    for (const [param, data] of values.get(path)!) model.backend.write(layer.params[param], data);
  }
  return adapter;
}

/** The two files of a PEFT adapter folder, as bytes (write them with writeFiles in Node, or download them). */
export async function saveAdapter(model: LlamaModel, adapter: ModelAdapter): Promise<Record<string, Uint8Array>> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [path, layer] of adapter.layers) {
    for (const [param, t] of Object.entries(layer.params)) {
      tensors[peftKey(path, param)] = { dtype: 'F32', shape: [...t.shape], data: await model.backend.read(t) };
    }
  }
  return {
    [CONFIG_FILE]: new TextEncoder().encode(peftConfigText(adapter.config)),
    [WEIGHTS_FILE]: writeSafetensors(tensors, { format: 'pt' }),
  };
}
