// FileSource (runtime/model/files.ts) for Node: a folder on disk, read with positioned reads so a range
// read never loads the whole file. Exported from runtime/node.ts only; browser bundles never see `fs`.
import { open, readFile, stat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileSource } from './files.js';

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
    throw new Error(`[io] could not write ${path}: ${(e as Error).message}`);
  }
}
