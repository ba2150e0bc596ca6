// Where the public API's inputs come from. A model or adapter is a folder of files (a FileSource); a user
// names one as a URL prefix ('https://host/m/'), a FileSource, a FileList / File[] / directory handle picked
// in a browser, a Map of names to bytes (e.g. the `files` of a finished run), or a path in Node. Data is a
// URL, a File/Blob, rows already in memory, or a path in Node.
// Paths need a file system, which only the Node entry point has: runtime/node.ts installs it here
// (setLocalFiles), so this module never imports a Node module and browser bundles stay free of `fs`.
import { type FileSource, filesFromList, filesFromMap } from '../model/files.js';
import { OsteonError } from '../errors.js';

/** A folder of model (or adapter) files, in any of the forms the API accepts. */
export type FolderSource = string | URL | FileSource | FileList | File[] | FileSystemDirectoryHandle | Map<string, Uint8Array | Blob>;

/** Training or evaluation data: JSONL (or plain text) by address, as a Blob, or parsed rows. */
export type DataSource = string | URL | Blob | Record<string, unknown>[];

/** What the Node entry point provides: folders and files on disk. */
export interface LocalFiles {
  folder(path: string): FileSource;
  readFile(path: string): Promise<Uint8Array>;
  /** The absolute form of a path, for messages. */
  resolve(path: string): string;
  /** The path of a file: URL (where Node bundles find what ships beside them). */
  pathOf(url: URL): string;
}

let local: LocalFiles | null = null;

/** Install the local file system (runtime/node.ts does). */
export function setLocalFiles(files: LocalFiles): void {
  local = files;
}

/** True when `s` is an address to fetch rather than a path on disk. In a browser every string is an address
 *  (relative ones resolve against the page). */
function isAddress(s: string): boolean {
  return !local || /^(https?|blob|data):/i.test(s);
}

function localFiles(path: string, what: string): LocalFiles {
  if (!local) throw new OsteonError(what, `"${path}" is a path, and paths work only in Node; in a browser pass a URL, a File or a folder the user picked`);
  return local;
}

function isFileSource(v: unknown): v is FileSource {
  return typeof v === 'object' && v !== null && typeof (v as FileSource).read === 'function' && typeof (v as FileSource).exists === 'function';
}

/** A file: URL as a path where there is a file system (Node); anything else unchanged. */
function asPath<T>(source: T): T | string {
  return source instanceof URL && source.protocol === 'file:' && local ? local.pathOf(source) : source;
}

/** The FileSource for any accepted form of a folder. */
export function openFolder(given: FolderSource, what: string): FileSource {
  const source = asPath(given);
  if (typeof source === 'string' && !isAddress(source)) return localFiles(source, what).folder(source);
  if (typeof source === 'string' || source instanceof URL) return filesFromUrl(String(source));
  if (isFileSource(source)) return source;
  if (source instanceof Map) return filesFromMap(source, `${what} files`);
  if (typeof (source as FileSystemDirectoryHandle).getFileHandle === 'function') return filesFromDirectoryHandle(source as FileSystemDirectoryHandle);
  return filesFromList(source as FileList | File[], `the selected ${what} files`);
}

/** A short name of the source for messages and logs. */
export function describeSource(given: FolderSource | DataSource): string {
  const source = asPath(given);
  if (typeof source === 'string') return isAddress(source) ? source : (local?.resolve(source) ?? source);
  if (source instanceof URL) return source.href;
  if (Array.isArray(source)) return source.length && source[0] instanceof Blob ? 'selected files' : `${source.length} rows`;
  if (typeof Blob !== 'undefined' && source instanceof Blob) return (source as File).name ?? 'a Blob';
  if (isFileSource(source)) return source.name;
  return (source as FileSystemDirectoryHandle).name ?? 'selected files';
}

/** The bytes of a data source and its file name (which decides JSONL or plain text), or the rows themselves. */
export async function readData(given: DataSource): Promise<{ name: string; bytes: Uint8Array } | { name: string; rows: Record<string, unknown>[] }> {
  const source = asPath(given);
  if (Array.isArray(source)) return { name: `${source.length} rows`, rows: source };
  if (typeof source === 'string' && !isAddress(source)) {
    const files = localFiles(source, 'data');
    return { name: files.resolve(source), bytes: await files.readFile(source) };
  }
  if (typeof source === 'string' || source instanceof URL) {
    const url = String(source);
    return { name: url, bytes: new Uint8Array(await (await fetchOk(url)).arrayBuffer()) };
  }
  return { name: (source as File).name ?? 'data', bytes: new Uint8Array(await source.arrayBuffer()) };
}

async function fetchOk(url: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new OsteonError('files', `could not fetch ${url}: ${(e as Error).message} (is the address right and the server reachable?)`);
  }
  if (!res.ok) throw new OsteonError('files', `${url} answered HTTP ${res.status} ${res.statusText}`);
  return res;
}

/** A folder served over HTTP: `base` + file name. Ranged reads ask for just those bytes (HTTP Range); a
 *  server that ignores Range gets one whole read per file, kept as a Blob and sliced from then on, so no file
 *  is downloaded twice or held twice in memory. */
export function filesFromUrl(base: string): FileSource {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const whole = new Map<string, Promise<Blob>>();
  const wholeFile = (url: string) => {
    let b = whole.get(url);
    if (!b) {
      b = fetchOk(url).then((r) => r.blob());
      whole.set(url, b);
    }
    return b;
  };
  const blobRange = async (b: Blob, range?: { start: number; end: number }) =>
    new Uint8Array(await (range ? b.slice(range.start, range.end) : b).arrayBuffer());
  return {
    name: prefix,
    async read(path, range) {
      const url = new URL(path, resolveBase(prefix)).href;
      if (whole.has(url) || !range) return blobRange(await wholeFile(url), range);
      if (range.end <= range.start) return new Uint8Array(0);
      const res = await fetchOk(url, { headers: { Range: `bytes=${range.start}-${range.end - 1}` } });
      if (res.status === 206) return new Uint8Array(await res.arrayBuffer());
      // 200: the server sent the whole file; keep it for the reads to come.
      const blob = res.blob();
      whole.set(url, blob);
      return blobRange(await blob, range);
    },
    async exists(path) {
      const url = new URL(path, resolveBase(prefix)).href;
      if (whole.has(url)) return true;
      try {
        const res = await fetch(url, { method: 'HEAD' });
        return res.ok;
      } catch {
        return false;
      }
    },
  };
}

/** Relative addresses resolve against the page (browsers) and must be absolute elsewhere. */
function resolveBase(prefix: string): string {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  return page ? new URL(prefix, page).href : prefix;
}

/** A folder the user picked with showDirectoryPicker() or dropped (FileSystemDirectoryHandle). */
export function filesFromDirectoryHandle(dir: FileSystemDirectoryHandle): FileSource {
  const file = async (path: string) => (await dir.getFileHandle(path)).getFile();
  return {
    name: dir.name,
    async read(path, range) {
      let f: File;
      try {
        f = await file(path);
      } catch {
        throw new OsteonError('files', `${dir.name} has no file "${path}"`);
      }
      return new Uint8Array(await (range ? f.slice(range.start, range.end) : f).arrayBuffer());
    },
    async exists(path) {
      try {
        await file(path);
        return true;
      } catch {
        return false;
      }
    },
  };
}
