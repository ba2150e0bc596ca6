// Files on disk for Node: a folder as a FileSource (runtime/model/files.ts), read with positioned reads so a
// range read never loads the whole file; a folder as a checkpoint store (runtime/api/store.ts); atomic
// writes. Exported from runtime/node.ts only; browser bundles never see `fs`.
import { open, readFile, readdir, stat, mkdir, rename, rm } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OsteonError } from '../errors.js';
import type { FileSource } from './files.js';
import type { CheckpointStore } from '../api/store.js';
import type { LocalFiles } from '../api/sources.js';

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
    await rm(tmp, { force: true, recursive: true }).catch(() => {});
    throw new OsteonError('io', `could not write ${path}: ${(e as Error).message}`, path);
  }
}

/** Is process `pid` running (on this machine)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const LOCK_FILE = '.osteon.lock';

/** Make `dir` ready for a run's output before any work: create it with its parents, take its lock file
 *  (refused while the run that holds it is alive; taken over when that run was killed), and remove the
 *  `*.tmp-PID` files killed runs left. Creating the lock file is the writability check. `flag` names the
 *  option in messages (--out). Returns the release of the lock and what was cleaned up. */
export async function claimOutFolder(dir: string, flag = '--out'): Promise<{ release(): Promise<void>; notes: string[] }> {
  const fail = (what: string, e: unknown) => new OsteonError('output', `${flag} ${dir}: ${what} (${(e as Error).message}); ` +
    `pick a folder you can write to (${flag} DIR)`, dir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw fail('the folder cannot be created', e);
  }
  const lock = join(dir, LOCK_FILE), notes: string[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      const f = await open(lock, 'wx');
      try { await f.writeFile(`${process.pid}\n`); } finally { await f.close(); }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw fail('the folder is not writable', e);
    }
    const holder = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
    if (holder > 0 && holder !== process.pid && alive(holder)) {
      throw new OsteonError('output', `${flag} ${dir} is in use by another run (process ${holder}, lock file ${lock}); ` +
        `wait for it to finish, or pick another folder (${flag} DIR)`, dir);
    }
    notes.push(`took over ${lock} from process ${holder || '?'}, which is no longer running`);
    await rm(lock, { force: true });
  }
  const leftovers = (await readdir(dir)).filter((f) => {
    const pid = /\.tmp-(\d+)$/.exec(f)?.[1];
    return pid !== undefined && (Number(pid) === process.pid || !alive(Number(pid)));
  });
  for (const f of leftovers) await rm(join(dir, f), { force: true, recursive: true });
  if (leftovers.length) notes.push(`removed ${leftovers.length} temporary file${leftovers.length > 1 ? 's' : ''} a killed run left in ${dir}`);
  return {
    notes,
    async release() {
      if ((await readFile(lock, 'utf8').catch(() => '')).trim() === String(process.pid)) await rm(lock, { force: true });
    },
  };
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
  pathOf: (url) => fileURLToPath(url),
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
