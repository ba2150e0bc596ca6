// The messages between the page (web/page.ts) and the training worker (web/worker.ts). Everything here is
// structured-cloneable: Files, directory handles and byte arrays cross as they are.
import type { FinetuneEvent, Variant } from '../runtime/browser.js';

/** A model as the page holds it: files picked or dropped, a folder handle, or a URL prefix; none = built-in. */
export type PageModel = File[] | FileSystemDirectoryHandle | string | undefined;
/** Data as the page holds it: a picked file or a URL; none = built-in. */
export type PageData = File | string | undefined;

/** How a run names its model or data, to ask for the same ones again on resume (null: built-in). */
export const sourceName = (m: PageModel | PageData): string | null =>
  m === undefined ? null : typeof m === 'string' ? m : Array.isArray(m) ? `${m.length} files` : m.name;

/** The training choices the page offers (a subset of FinetuneOptions; empty = the library's default). */
export interface PageOptions {
  model?: PageModel;
  data?: PageData;
  method: Variant;
  r?: number;
  steps?: number;
  batch?: number;
  seq?: number;
  lr?: number;
  seed?: number;
  checkpointEvery?: number;
  backend: 'auto' | 'webgpu' | 'wasm';
}

/** What the worker keeps in OPFS beside the checkpoint, so a reloaded page can offer to resume. */
export interface SavedRun {
  options: Omit<PageOptions, 'model' | 'data'>;
  /** Names of the model and data (null: built-in), to ask for the same files again. */
  modelName: string | null;
  dataName: string | null;
  step: number;
  steps: number;
  done: boolean;
}

export type ToWorker =
  | { type: 'train'; options: PageOptions; resume: boolean }
  | { type: 'cancel' }
  | { type: 'saved' }
  | { type: 'discard' }
  | { type: 'generate'; model: PageModel; adapter: [string, Uint8Array][] | null; prompt: string; maxNewTokens: number; backend: PageOptions['backend']; slot: string };

export type FromWorker =
  | { type: 'progress'; event: FinetuneEvent }
  | { type: 'log'; line: string }
  | { type: 'done'; files: [string, Uint8Array][]; losses: number[]; heldOutLoss: number | null; seconds: number }
  | { type: 'cancelled'; step: number }
  | { type: 'saved'; run: SavedRun | null }
  | { type: 'piece'; slot: string; text: string }
  | { type: 'generated'; slot: string }
  /** With a slot: a generation failed (the training result stands). */
  | { type: 'error'; message: string; slot?: string };
