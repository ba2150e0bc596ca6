// Writing files so that a crash never leaves a half-written one in place: write a temporary file beside
// the target, flush it to disk, then rename it over the target (atomic on POSIX file systems).
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

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
    const dir = await open(dirname(path), 'r');
    try { await dir.sync(); } catch { /* some file systems cannot sync a directory */ } finally { await dir.close(); }
  } catch (e) {
    await rm(tmp, { force: true });
    throw new Error(`[io] could not write ${path}: ${(e as Error).message}`);
  }
}
