// The kernel variants a context may launch (device.ts KernelVariants): the values of each, the adapter
// features a value needs, OSTEON_KERNELS parsing, and the check that a cached choice still fits the adapter.
import type { KernelVariants } from './device.js';
import { TILE_NAMES } from './matmulTiles.js';

/** Every value of every variant, in the order `osteon doctor` and tuning walk them. */
export const VARIANT_CHOICES: { readonly [K in keyof KernelVariants]: readonly KernelVariants[K][] } = {
  matmul: ['blocked', 'tiled', 'subgroup'],
  matmulTile: TILE_NAMES,
  halfMath: ['f32', 'f16'],
  attention: ['rows', 'tiled'],
};

/** Invocations per workgroup of the subgroup matmul (matmulSubgroup.wgsl), which needs every subgroup full:
 *  it runs only where the adapter's subgroups are no larger, so that they divide the workgroup. */
const SUBGROUP_MATMUL_INVOCATIONS = 64;

/** What of the device the feature checks read (GpuContext has them). */
export interface DeviceFeatures {
  readonly hasF16: boolean;
  readonly hasSubgroups: boolean;
  /** The adapter's largest subgroup, where it says (adapter.info.subgroupMaxSize). */
  readonly subgroupMaxSize: number | undefined;
}

/** Whether the subgroup matmul runs correctly on this device. */
export function subgroupMatmulFits(d: DeviceFeatures): boolean {
  return d.hasSubgroups && d.subgroupMaxSize !== undefined && d.subgroupMaxSize <= SUBGROUP_MATMUL_INVOCATIONS;
}

/** The feature a variant needs and the device lacks, as a sentence naming the way out; null when it runs. */
export function missingFeature(v: KernelVariants, d: DeviceFeatures): string | null {
  if (v.matmul === 'subgroup' && !subgroupMatmulFits(d)) {
    const why = d.hasSubgroups ? `subgroups of at most ${SUBGROUP_MATMUL_INVOCATIONS} invocations (this adapter's ` +
      `largest: ${d.subgroupMaxSize ?? 'not reported'})` : "the adapter feature 'subgroups', which this adapter lacks";
    return `matmul:subgroup needs ${why}; use matmul:tiled or matmul:blocked`;
  }
  if (v.halfMath === 'f16' && !d.hasF16) {
    return "halfMath:f16 needs the adapter feature 'shader-f16', which this adapter lacks; use halfMath:f32";
  }
  return null;
}

/** Whether `v` (a cached entry, say) names a valid value for every variant and runs on this device. */
export function validVariants(v: unknown, d: DeviceFeatures): v is KernelVariants {
  if (typeof v !== 'object' || v === null) return false;
  const fields = v as Record<string, unknown>;
  const valid = Object.entries(VARIANT_CHOICES).every(([op, values]) => (values as readonly unknown[]).includes(fields[op]));
  return valid && missingFeature(v as KernelVariants, d) === null;
}

/** OSTEON_KERNELS=matmul:subgroup,matmulTile:128x64,halfMath:f16 (comma-separated op:variant). */
export function parseKernelSwitch(text: string): Partial<KernelVariants> {
  const forced: Record<string, string> = {};
  for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [op, variant] = pair.split(':');
    const values = (VARIANT_CHOICES as Record<string, readonly string[] | undefined>)[op];
    if (!values) {
      throw new Error(`[webgpu] OSTEON_KERNELS: ${op} is not a kernel with variants; use ${Object.keys(VARIANT_CHOICES).join(', ')}`);
    }
    if (!values.includes(variant)) {
      throw new Error(`[webgpu] OSTEON_KERNELS: ${op}:${variant} is not a variant; use ${values.map((x) => `${op}:${x}`).join(', ')}`);
    }
    forced[op] = variant;
  }
  return forced as Partial<KernelVariants>;
}

/** Every set of variants tuning may pick on this device, each kernel in it at least once: the blocked and
 *  subgroup designs, and the tiled one in each tile, with float16 arithmetic where the device has it (which
 *  runs the tiled kernel with float16 tiles in that tile for products with a float16 operand); attention
 *  by rows beside the blocked matmul, in tiles beside the others. */
export function pickableVariants(d: DeviceFeatures): KernelVariants[] {
  const halfMath = d.hasF16 ? 'f16' : 'f32';
  const all: KernelVariants[] = [
    { matmul: 'blocked', matmulTile: '64x64', halfMath: 'f32', attention: 'rows' },
    ...TILE_NAMES.map((matmulTile): KernelVariants => ({ matmul: 'tiled', matmulTile, halfMath, attention: 'tiled' })),
    { matmul: 'subgroup', matmulTile: '64x64', halfMath: 'f32', attention: 'tiled' },
  ];
  return all.filter((v) => missingFeature(v, d) === null);
}

/** The variants as one line ("matmul tiled, tile 64x64, halfMath f32, attention tiled"), naming a backend in reports; the
 *  tile where a kernel of the variants uses it. */
export function describeVariants(v: KernelVariants): string {
  const tiled = v.matmul === 'tiled' || v.halfMath === 'f16';
  return [`matmul ${v.matmul}`, ...(tiled ? [`tile ${v.matmulTile}`] : []), `halfMath ${v.halfMath}`, `attention ${v.attention}`].join(', ');
}
