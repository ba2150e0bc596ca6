// The tiny file-access interface model and adapter loading is written against, so the same loader runs in
// Node (runtime/model/node-files.ts, fs) and in browsers (here: a folder picked as a FileList / File[], or a
// Map of names to Blobs or fetch Responses). Paths are relative to the folder ("config.json",
// "model-00001-of-00002.safetensors"). This file must never import a Node module.
import { OsteonError, decodeUtf8, parseJsonObject } from '../errors.js';

export interface FileSource {
  /** The file's bytes, or only bytes [start, end) of it when a range is given (a shorter result means the
   *  file ended early). */
  read(path: string, range?: { start: number; end: number }): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
  /** Where the files come from, for error messages. */
  readonly name: string;
}

function missing(source: string, path: string): never {
  throw new OsteonError('files', `${source} has no file "${path}"`, `${source}/${path}`);
}

/** A JSON file of the folder that must hold an object (UTF-8, valid JSON), as `component` reads it. */
export async function readJsonFile(files: FileSource, path: string, component: string): Promise<Record<string, unknown>> {
  const source = `${files.name}/${path}`;
  return parseJsonObject(decodeUtf8(await files.read(path), component, source), component, source);
}

async function readBlob(blob: Blob, range?: { start: number; end: number }): Promise<Uint8Array> {
  const part = range ? blob.slice(range.start, range.end) : blob;
  return new Uint8Array(await part.arrayBuffer());
}

/** Files chosen in the browser (an <input type="file" webkitdirectory> FileList, or dropped files), keyed by
 *  base name: the folder structure above the files is ignored. */
export function filesFromList(files: FileList | File[], name = 'selected files'): FileSource {
  const map = new Map<string, Blob>();
  for (const f of Array.from(files)) map.set(f.name, f);
  return filesFromMap(map, name);
}

/** Named Blobs, fetch Responses or bytes already in memory. A Response is turned into a Blob once, on first
 *  use, so range reads can slice it (browsers keep large Blobs out of the JavaScript heap); bytes are sliced
 *  as views, never copied. */
export function filesFromMap(entries: Map<string, Blob | Response | Uint8Array>, name = 'in-memory files'): FileSource {
  const blobs = new Map<string, Promise<Blob>>();
  const blob = (path: string, entry: Blob | Response): Promise<Blob> => {
    let b = blobs.get(path);
    if (!b) {
      b = entry instanceof Blob ? Promise.resolve(entry) : entry.blob();
      blobs.set(path, b);
    }
    return b;
  };
  return {
    name,
    async read(path, range) {
      const entry = entries.get(path);
      if (!entry) missing(name, path);
      if (entry instanceof Uint8Array) return range ? entry.subarray(range.start, range.end) : entry;
      return readBlob(await blob(path, entry), range);
    },
    async exists(path) { return entries.has(path); },
  };
}
