// Node's cache of kernel variants chosen on the device (gpu/tuning.ts): one JSON file of adapter key ->
// variants, in $OSTEON_CACHE_DIR, else $XDG_CACHE_HOME/osteon, else .cache/osteon in the home folder.
// Written atomically, so two processes tuning at once leave one whole file.
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KernelVariants } from '../gpu/device.js';
import type { TuningStore } from '../gpu/tuning.js';
import { writeFileAtomic } from './model/node-files.js';

export function nodeTuningStore(): TuningStore {
  const dir = process.env.OSTEON_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'osteon');
  const path = join(dir, 'kernel-variants.json');
  const all = async (): Promise<Record<string, KernelVariants>> => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as Record<string, KernelVariants>;
    } catch {
      return {}; // no cache yet, or a damaged one: tune again
    }
  };
  return {
    name: path,
    get: async (key) => (await all())[key] ?? null,
    put: async (key, variants) => {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(path, JSON.stringify({ ...(await all()), [key]: variants }, null, 2));
    },
  };
}
