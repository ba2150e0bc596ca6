// Where a training run keeps its checkpoints: a small key-value store of byte files. Node keeps them in the
// output folder (folderStore in runtime/model/node-files.ts, written atomically), a page in the Origin
// Private File System (opfsStore), tests and short runs in memory (memoryStore). A put replaces the value
// whole or not at all, so a run killed in the middle of a put still finds its previous checkpoint.

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

/** A folder in the Origin Private File System (browsers; `path` like 'osteon/run'). Values are written to a
 *  temporary file first and then moved over the old one, so a tab closed mid-write keeps the last good one. */
export function opfsStore(path = 'osteon'): CheckpointStore {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (!storage?.getDirectory) throw new Error('[checkpoint] this browser has no Origin Private File System (navigator.storage.getDirectory); pass memoryStore() instead');
  const folder = (async () => {
    let dir = await storage.getDirectory();
    for (const part of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part, { create: true });
    return dir;
  })();
  return {
    name: `OPFS ${path}`,
    async get(key) {
      try {
        const file = await (await (await folder).getFileHandle(key)).getFile();
        return new Uint8Array(await file.arrayBuffer());
      } catch {
        return null;
      }
    },
    async put(key, bytes) {
      const dir = await folder;
      const tmp = await dir.getFileHandle(`${key}.tmp`, { create: true });
      const writable = await tmp.createWritable();
      await writable.write(bytes as Uint8Array<ArrayBuffer>);
      await writable.close();
      const movable = tmp as FileSystemFileHandle & { move?: (dir: FileSystemDirectoryHandle, name: string) => Promise<void> };
      if (movable.move) {
        await movable.move(dir, key);
      } else {
        // No move(): write the target in place (createWritable commits on close, atomically in Chromium).
        const target = await (await dir.getFileHandle(key, { create: true })).createWritable();
        await target.write(bytes as Uint8Array<ArrayBuffer>);
        await target.close();
        await dir.removeEntry(`${key}.tmp`);
      }
    },
    async delete(key) {
      try {
        await (await folder).removeEntry(key);
      } catch { /* already gone */ }
    },
  };
}
