// Files on disk for Node: a folder as a FileSource (runtime/model/files.ts), read with positioned reads so a
// range read never loads the whole file; a folder as a checkpoint store (runtime/api/store.ts); atomic
// writes. Exported from runtime/node.ts only; browser bundles never see `fs`.
import { open, readFile, stat, mkdir, rename, rm } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FileSource } from './files.js';
import type { CheckpointStore } from '../api/store.js';
import type { LocalFiles } from '../api/sources.js';
import { OsteonError } from '../errors.js';

export function nodeFiles(dir: string): FileSource {
  return {
    name: dir,
    async read(path, range) {
      const full = join(dir, path);
      if (!range) {
        const buf = await readFile(full);
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength); // a view, not a second copy
      }
      const handle = await open(full, 'r');
      try {
        const out = new Uint8Array(range.end - range.start);
        let got = 0;
        while (got < out.length) {
          const { bytesRead } = await handle.read(out, got, out.length - got, range.start + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return out.subarray(0, got);
      } finally {
        await handle.close();
      }
    },
    async exists(path) {
      try {
        return (await stat(join(dir, path))).isFile();
      } catch {
        return false;
      }
    },
  };
}

/** Write named files (for example the output of saveAdapter) into a folder, creating it if needed; each
 *  file is replaced atomically, so a crash leaves either the old file or the new one, never half of one. */
export async function writeFiles(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFileAtomic(join(dir, name), bytes);
}

/** Write a temporary file beside the target, flush it to disk, then rename it over the target. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(bytes);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, path);
    // Make the rename itself durable.
    const folder = await open(dirname(path), 'r');
    try { await folder.sync(); } catch { /* some file systems cannot sync a directory */ } finally { await folder.close(); }
  } catch (e) {
    await rm(tmp, { force: true });
    throw new OsteonError('io', `could not write ${path}: ${(e as Error).message}`);
  }
}

/** A folder as a checkpoint store: one file per key, each written atomically. */
export function folderStore(dir: string): CheckpointStore {
  const path = (key: string) => join(dir, key);
  return {
    name: dir,
    async get(key) {
      try {
        const buf = await readFile(path(key));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new OsteonError('checkpoint', `could not read ${path(key)}: ${(e as Error).message}`);
      }
    },
    async put(key, bytes) {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(path(key), bytes);
    },
    async delete(key) { await rm(path(key), { force: true }); },
  };
}

/** Paths for the public API's sources (installed by runtime/node.ts). */
export const nodeLocalFiles: LocalFiles = {
  resolve: (p) => resolve(p),
  folder(p) {
    const dir = resolve(p);
    if (!existsSync(dir)) throw new OsteonError('model', `${dir} does not exist (pass a Hugging Face model folder with config.json and *.safetensors)`);
    if (!statSync(dir).isDirectory()) throw new OsteonError('model', `${dir} is a file; pass the folder that holds it`);
    return nodeFiles(dir);
  },
  async readFile(p) {
    const file = resolve(p);
    if (!existsSync(file)) throw new OsteonError('data', `${file} does not exist`);
    if (statSync(file).isDirectory()) throw new OsteonError('data', `${file} is a folder; pass a .jsonl or .txt file`);
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  },
};
