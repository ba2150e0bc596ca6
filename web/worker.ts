// The page's training worker: runs finetune() and generate() off the main thread, so the page stays
// responsive, on one backend created once per choice (a WebGPU device, or WebAssembly with threads when the
// page is cross-origin isolated). Checkpoints go to the Origin Private File System with a small record of
// the run (run.json), so a reloaded page can resume where the last checkpoint left off.
import * as osteon from '../runtime/browser.js';
import { type FromWorker, type PageOptions, type SavedRun, type ToWorker, sourceName } from './protocol.js';

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);
const store = osteon.opfsStore('osteon/run');
const RUN = 'run.json';
const backends = new Map<string, Promise<osteon.Backend>>();
let cancel: AbortController | null = null;

function backend(choice: PageOptions['backend']): Promise<osteon.Backend> {
  let b = backends.get(choice);
  if (!b) {
    b = osteon.createBackend({ backend: choice });
    backends.set(choice, b);
    b.catch(() => backends.delete(choice));
  }
  return b;
}

async function readSaved(): Promise<SavedRun | null> {
  const bytes = await store.get(RUN);
  return bytes ? JSON.parse(new TextDecoder().decode(bytes)) as SavedRun : null;
}
const writeSaved = (run: SavedRun) => store.put(RUN, new TextEncoder().encode(JSON.stringify(run)));

async function train(options: PageOptions, resume: boolean): Promise<void> {
  const { model, data, backend: choice, ...rest } = options;
  const saved: SavedRun = { options: { ...rest, backend: choice }, modelName: sourceName(model), dataName: sourceName(data), step: 0, steps: 0, done: false };
  cancel = new AbortController();
  let step = 0;
  try {
    const run = await osteon.finetune({
      ...rest, model, data, backend: await backend(choice), checkpoint: store, resume, signal: cancel.signal,
      onLog: (line) => post({ type: 'log', line }),
      onProgress: (event) => {
        post({ type: 'progress', event });
        if (event.kind === 'start') {
          saved.steps = event.steps;
          saved.step = step = event.step;
          void writeSaved(saved);
        } else if (event.kind === 'step') {
          step = event.step;
        } else if (event.kind === 'checkpoint') {
          saved.step = event.step;
          void writeSaved(saved);
        }
      },
    });
    await writeSaved({ ...saved, step: run.losses.length, done: true });
    post({ type: 'done', files: [...run.files], losses: run.losses, heldOutLoss: run.heldOutLoss, seconds: run.seconds });
  } catch (e) {
    if ((e as Error).name === 'AbortError') post({ type: 'cancelled', step });
    else post({ type: 'error', message: (e as Error).message });
  } finally {
    cancel = null;
  }
}

async function generate(m: Extract<ToWorker, { type: 'generate' }>): Promise<void> {
  try {
    const pieces = osteon.generate({
      model: m.model, adapter: m.adapter ? new Map(m.adapter) : undefined, prompt: m.prompt,
      maxNewTokens: m.maxNewTokens, backend: await backend(m.backend),
    });
    for await (const text of pieces) post({ type: 'piece', slot: m.slot, text });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message, slot: m.slot });
  }
  post({ type: 'generated', slot: m.slot });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'cancel') cancel?.abort();
  else if (m.type === 'train') void train(m.options, m.resume);
  else if (m.type === 'generate') void generate(m);
  else if (m.type === 'discard') void Promise.all([store.delete(RUN), store.delete(osteon.CHECKPOINT_KEY)]).then(() => post({ type: 'saved', run: null }));
  else if (m.type === 'saved') void readSaved().then((run) => post({ type: 'saved', run }), () => post({ type: 'saved', run: null }));
};
