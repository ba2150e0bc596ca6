// Where a training run keeps its checkpoints: a small key-value store of byte files. Node keeps them in the
// output folder (folderStore in runtime/model/node-files.ts, written atomically), a page in the Origin
// Private File System (opfsStore), tests and short runs in memory (memoryStore). A put replaces the value
// whole or not at all, so a run killed in the middle of a put still finds its previous checkpoint.

import { OsteonError } from '../errors.js';

export interface CheckpointStore {
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Where the files are, for messages ("osteon-adapter/", "OPFS osteon/run"). */
  readonly name: string;
}

export function memoryStore(name = 'memory'): CheckpointStore {
  const files = new Map<string, Uint8Array>();
  return {
    name,
    async get(key) { return files.get(key) ?? null; },
    async put(key, bytes) { files.set(key, bytes.slice()); },
    async delete(key) { files.delete(key); },
  };
}

/** A folder in the Origin Private File System (browsers; `path` like 'osteon/run'). */
export function opfsStore(path = 'osteon'): CheckpointStore {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (!storage?.getDirectory) throw new OsteonError('checkpoint', 'this browser has no Origin Private File System (navigator.storage.getDirectory); pass memoryStore() instead');
  const folder = (async () => {
    let dir = await storage.getDirectory();
    for (const part of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part, { create: true });
    return dir;
  })();
  // One write at a time: a file with an open writable cannot be opened for writing again.
  let writing: Promise<unknown> = Promise.resolve();
  return {
    name: `OPFS ${path}`,
    async get(key) {
      await writing;
      try {
        const file = await (await (await folder).getFileHandle(key)).getFile();
        return new Uint8Array(await file.arrayBuffer());
      } catch {
        return null;
      }
    },
    put(key, bytes) {
      const write = writing.then(() => writeAtomically(key, bytes));
      writing = write.catch(() => {});
      return write;
    },
    async delete(key) {
      try {
        await (await folder).removeEntry(key);
      } catch { /* already gone */ }
    },
  };

  /** A writable stream's changes reach the file only when it closes (the File System standard), so a tab
   *  closed mid-write keeps the previous value. */
  async function writeAtomically(key: string, bytes: Uint8Array): Promise<void> {
    const writable = await (await (await folder).getFileHandle(key, { create: true })).createWritable();
    await writable.write(bytes as Uint8Array<ArrayBuffer>);
    await writable.close();
  }
}
