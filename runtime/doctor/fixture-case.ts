// One golden adapter-layer case (a safetensors file in the format of tests/fixtures/peft, see its README)
// run on one backend: forward, backward, merge, merged forward, unmerge, each expected tensor compared.
// Used by `osteon doctor` and by the test suite, so what users run is what CI checks.
import type { Backend, Tensor } from '../backend.js';
import { AdaptedLinear } from '../adapters/linear.js';
import type { AdapterConfig } from '../adapters/config.js';
import { type SafetensorsFile, toFloat32 } from '../safetensors.js';
import { F32_REL } from '../tolerances.js';

export interface CaseResult {
  case: string;
  backend: string;
  tensor: string;
  max_rel_err: number;
  pass: boolean;
}

/** max|a - b| / max|b| (NaN or a length mismatch counts as infinitely wrong). */
export function maxRelError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0, scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= diff)) diff = d === d ? d : Infinity;
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

function configOf(meta: Record<string, string>, source: string): AdapterConfig {
  const r = Number(meta.r);
  switch (meta.variant) {
    case 'bone': return { variant: 'bone', r };
    case 'bat': return { variant: 'bat', r };
    case 'mini': return { variant: 'mini', r, miniR: Number(meta.mini_r) };
    default: throw new Error(`[doctor] ${source}: metadata variant=${meta.variant} is not bone, bat or mini`);
  }
}

/** Run the case on the backend; one result per expected tensor present in the file. */
export async function runFixtureCase(backend: Backend, name: string, file: SafetensorsFile): Promise<CaseResult[]> {
  const need = (t: string) => {
    const stored = file.tensors.get(t);
    if (!stored) throw new Error(`[doctor] case ${name} has no tensor "${t}"`);
    return stored;
  };
  const values = (t: string) => toFloat32(need(t));
  const has = (t: string) => file.tensors.has(t);
  const meta = file.metadata;
  const config = configOf(meta, name);
  const adapterNames = (meta.adapter_order ?? 'default').split(',');
  const blockNames = ['block', 'block_2'];
  const results: CaseResult[] = [];
  const owned: Tensor[] = [];
  const upload = (t: string) => {
    const tensor = backend.tensor(need(t).shape, values(t), t);
    owned.push(tensor);
    return tensor;
  };
  const check = async (tensor: string, actual: Tensor) => {
    if (!has(tensor)) return;
    const err = maxRelError(await backend.read(actual), values(tensor));
    results.push({ case: name, backend: backend.name, tensor, max_rel_err: err, pass: err <= F32_REL });
  };

  const w = upload('W');
  const layer = new AdaptedLinear(backend, w, has('bias') ? upload('bias') : null, name);
  try {
    adapterNames.forEach((n, i) => backend.write(layer.addAdapter(n, config).params.block, values(blockNames[i])));
    const x = upload('x');
    const { y, cache } = layer.forward(x);
    owned.push(y);
    await check('y', y);
    if (has('dy')) {
      const dx = layer.backward(cache, upload('dy'))!;
      owned.push(dx);
      await check('dx', dx);
      for (const [i, n] of adapterNames.entries()) await check(i ? 'dblock_2' : 'dblock', layer.get(n).grads.block);
    }
    layer.disposeCache(cache);
    layer.merge();
    await check('merged_W', w);
    const merged = layer.forward(x);
    owned.push(merged.y);
    await check('merged_y', merged.y);
    await layer.unmerge();
    await check('unmerged_W', w);
  } finally {
    for (const a of layer.adapters.values()) for (const t of [...Object.values(a.params), ...Object.values(a.grads)]) backend.dispose(t);
    for (const t of owned) backend.dispose(t);
  }
  return results;
}
