// The fine-tuning page: a thin shell over the public API. It gathers a model, data and options, hands them
// to the training worker (web/worker.ts), and shows what comes back: progress, a live loss curve, the base
// model's and the adapted model's continuation of a prompt, and the adapter's files to download. A run
// interrupted by a reload is offered for resuming from its last checkpoint in OPFS.
// The library itself is `window.osteon`, and the page's own state and actions `window.osteonPage`, so a
// script driving the browser can call either.
import * as osteon from '../runtime/browser.js';
import type { FinetuneEvent, Variant } from '../runtime/browser.js';
import { type FromWorker, type PageData, type PageModel, type PageOptions, type SavedRun, type ToWorker, sourceName } from './protocol.js';

const $ = <T extends HTMLElement = HTMLInputElement>(id: string) => document.getElementById(id) as T;

type Status = 'idle' | 'training' | 'generating' | 'done' | 'cancelled' | 'error';

/** Everything a script (or a test) may want to read back. */
const state = {
  status: 'idle' as Status,
  events: [] as FinetuneEvent[],
  losses: [] as number[],
  evals: [] as [number, number][],
  files: null as Map<string, Uint8Array> | null,
  heldOutLoss: null as number | null,
  seconds: 0,
  saved: null as SavedRun | null,
  error: null as string | null,
  generated: { before: '', after: '' },
  log: [] as string[],
};
let model: PageModel;
let data: PageData;
let lastModel: PageModel;

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);

function setStatus(s: Status, text: string): void {
  state.status = s;
  const el = $('status');
  el.dataset.state = s;
  el.textContent = text;
  $('train').disabled = s === 'training' || s === 'generating';
  $('resume').disabled = s === 'training' || s === 'generating';
  $('cancel').disabled = s !== 'training';
  $('compare').disabled = s === 'training' || s === 'generating' || !state.files;
}

function showError(message: string | null): void {
  state.error = message;
  $('error').textContent = message ?? '';
  $('error').classList.toggle('shown', !!message);
}

const bytes = (n: number) => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
const seconds = (s: number) => (!Number.isFinite(s) ? '–' : s < 60 ? `${s.toFixed(0)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);
const numberOrUndefined = (id: string) => ($(id).value.trim() === '' ? undefined : Number($(id).value));

// --- choosing a model and data -------------------------------------------------------------------------

function describeChoice(): void {
  const m = model === undefined ? 'built-in' : typeof model === 'string' ? model : Array.isArray(model) ? `${model.length} files` : `folder ${model.name}`;
  const d = data === undefined ? 'built-in' : typeof data === 'string' ? data : data.name;
  $('chosen').textContent = `Model: ${m} · data: ${d}`;
}

/** Picked or dropped files: a model folder must hold config.json; checked here so the user hears at once. */
function chooseModelFiles(files: File[]): void {
  if (!files.some((f) => f.name === 'config.json')) {
    showError(`Those ${files.length} files are not a Hugging Face model folder: there is no config.json among them. ` +
      'Pick the folder that holds config.json, *.safetensors and tokenizer.json.');
    return;
  }
  showError(null);
  model = files;
  describeChoice();
}

function chooseData(file: File): void {
  if (!/\.(jsonl|json|txt)$/i.test(file.name)) {
    showError(`${file.name} is not training data: use a .jsonl file (text, prompt/completion, messages or input_ids rows) or a .txt file.`);
    return;
  }
  showError(null);
  data = file;
  describeChoice();
}

$('modelFiles').addEventListener('change', () => chooseModelFiles([...($('modelFiles').files ?? [])]));
$('modelUrl').addEventListener('change', () => {
  const url = $('modelUrl').value.trim();
  model = url || undefined;
  describeChoice();
});
$('dataFile').addEventListener('change', () => {
  const f = $('dataFile').files?.[0];
  if (f) chooseData(f);
});

const drop = $<HTMLDivElement>('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const items = [...(e.dataTransfer?.items ?? [])];
  type WithHandle = DataTransferItem & { getAsFileSystemHandle?: () => Promise<FileSystemHandle | null> };
  const handles = await Promise.all(items.map((i) => (i as WithHandle).getAsFileSystemHandle?.() ?? null));
  const folder = handles.find((h) => h?.kind === 'directory') as FileSystemDirectoryHandle | undefined;
  if (folder) {
    try {
      await folder.getFileHandle('config.json');
      model = folder;
      showError(null);
      describeChoice();
    } catch {
      showError(`The folder ${folder.name} has no config.json, so it is not a Hugging Face model folder.`);
    }
    return;
  }
  const files = [...(e.dataTransfer?.files ?? [])];
  if (files.length === 1 && !files[0].name.endsWith('.json')) chooseData(files[0]);
  else if (files.length) chooseModelFiles(files);
});

// --- training ------------------------------------------------------------------------------------------

function options(): PageOptions {
  return {
    model, data, method: $<HTMLSelectElement>('method').value as Variant, r: numberOrUndefined('r'), steps: numberOrUndefined('steps'),
    batch: numberOrUndefined('batch'), seq: numberOrUndefined('seq'), lr: numberOrUndefined('lr'), seed: numberOrUndefined('seed'),
    checkpointEvery: numberOrUndefined('checkpointEvery'), backend: $<HTMLSelectElement>('backend').value as PageOptions['backend'],
  };
}

function train(resume = false, overrides: Partial<PageOptions> = {}): void {
  if (state.status === 'training' || state.status === 'generating') return;
  showError(null);
  Object.assign(state, { events: [], losses: [], evals: [], files: null, heldOutLoss: null, log: [], generated: { before: '', after: '' } });
  $('curve').textContent = '';
  $('downloads').textContent = '';
  $('log').textContent = '';
  $('before').textContent = '';
  $('after').textContent = '';
  $('resumeBox').classList.remove('shown');
  const o = { ...options(), ...overrides };
  lastModel = o.model;
  setStatus('training', resume ? 'Resuming…' : 'Loading the model…');
  send({ type: 'train', options: o, resume });
}

let drawPending = false;
function drawCurve(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    $('curve').innerHTML = osteon.lossCurveSvg('training loss', [
      { name: 'train', color: '#1f77b4', points: state.losses.map((l, i) => [i + 1, l]) },
      { name: 'held-out', color: '#d62728', points: state.evals },
    ]);
  });
}

function onProgress(e: FinetuneEvent): void {
  state.events.push(e);
  if (e.kind === 'start') {
    $('device').textContent = `${e.backend}: ${e.device}`;
    $('memory').textContent = `${bytes(e.adapterBytes)} (${e.trainable.toLocaleString('en-US')} parameters)`;
    $('step').textContent = `${e.step} / ${e.steps}`;
    setStatus('training', `Training ${e.method} r=${e.r} on ${e.layers} layers…`);
  } else if (e.kind === 'step') {
    state.losses[e.step - 1] = e.loss;
    $('step').textContent = `${e.step} / ${e.steps}`;
    $('loss').textContent = e.loss.toFixed(4);
    $('rate').textContent = e.tokensPerSecond.toFixed(0);
    $('eta').textContent = seconds(e.etaSeconds);
    drawCurve();
  } else if (e.kind === 'eval') {
    state.evals.push([e.step, e.loss]);
    drawCurve();
  }
}

function showDownloads(files: Map<string, Uint8Array>): void {
  const box = $('downloads');
  box.textContent = 'Download: ';
  for (const [name, content] of files) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([content as Uint8Array<ArrayBuffer>]));
    a.download = name;
    a.textContent = name;
    box.append(a);
  }
  const picker = (window as { showDirectoryPicker?: (o?: object) => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
  if (picker) {
    const save = document.createElement('button');
    save.className = 'secondary';
    save.textContent = 'Save all to a folder';
    save.onclick = async () => {
      const dir = await picker({ mode: 'readwrite' });
      for (const [name, content] of files) {
        const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
        await w.write(content as Uint8Array<ArrayBuffer>);
        await w.close();
      }
    };
    box.append(save);
  }
}

/** The base model's and the adapted model's continuation of the prompt, one after the other. */
const pendingSlots = new Set<string>();
function compare(): void {
  if (!state.files) return;
  const common = { model: lastModel, prompt: $<HTMLTextAreaElement>('prompt').value, maxNewTokens: 48, backend: $<HTMLSelectElement>('backend').value as PageOptions['backend'] };
  state.generated = { before: '', after: '' };
  $('before').textContent = '';
  $('after').textContent = '';
  setStatus('generating', 'Generating with the base model and with the adapter…');
  pendingSlots.add('before').add('after');
  send({ type: 'generate', ...common, adapter: null, slot: 'before' });
  send({ type: 'generate', ...common, adapter: [...state.files], slot: 'after' });
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.type === 'progress') onProgress(m.event);
  else if (m.type === 'log') {
    state.log.push(m.line);
    $('log').textContent += `${m.line}\n`;
  } else if (m.type === 'done') {
    state.files = new Map(m.files);
    state.losses = m.losses;
    state.heldOutLoss = m.heldOutLoss;
    state.seconds = m.seconds;
    drawCurve();
    showDownloads(state.files);
    const held = m.heldOutLoss === null ? '' : `, held-out loss ${m.heldOutLoss.toFixed(4)}`;
    setStatus('done', `Done: loss ${m.losses[0]?.toFixed(4)} → ${m.losses[m.losses.length - 1]?.toFixed(4)}${held} in ${seconds(m.seconds)}.`);
    compare();
  } else if (m.type === 'cancelled') {
    setStatus('cancelled', `Cancelled at step ${m.step}; the last checkpoint is kept, so you can resume.`);
    send({ type: 'saved' });
  } else if (m.type === 'piece') {
    state.generated[m.slot as 'before' | 'after'] += m.text;
    $(m.slot).textContent += m.text;
  } else if (m.type === 'generated') {
    pendingSlots.delete(m.slot);
    if (!pendingSlots.size) setStatus('done', $('status').textContent!.replace(/^Generating.*/, 'Done.'));
  } else if (m.type === 'saved') {
    state.saved = m.run;
    const resumable = m.run && !m.run.done && m.run.step > 0;
    $('resumeBox').classList.toggle('shown', !!resumable);
    if (resumable) {
      const files = [m.run!.modelName && `model ${m.run!.modelName}`, m.run!.dataName && `data ${m.run!.dataName}`].filter(Boolean).join(', ');
      $('resumeText').textContent = `An earlier run stopped at step ${m.run!.step} of ${m.run!.steps} (checkpoint kept in this browser)` +
        `${files ? `; pick the same ${files} to resume it` : ''}.`;
    }
  } else if (m.type === 'error' && m.slot) {
    $(m.slot).textContent = `(no text: ${m.message})`;
  } else if (m.type === 'error') {
    pendingSlots.clear();
    showError(m.message);
    setStatus('error', 'Stopped with an error (see above); nothing you had was changed.');
  }
};
worker.onerror = (e) => {
  showError(`The training worker failed: ${e.message}`);
  setStatus('error', 'Stopped with an error.');
};

/** Resume the run kept in OPFS, with its own options and the model and data chosen now. */
function resume(): void {
  const run = state.saved;
  if (!run) return;
  if (run.modelName !== sourceName(model) || run.dataName !== sourceName(data)) {
    showError(`To resume, choose the same model (${run.modelName ?? 'built-in'}) and data (${run.dataName ?? 'built-in'}) as the interrupted run.`);
    return;
  }
  train(true, { ...run.options, model, data });
}

$('train').addEventListener('click', () => train(false));
$('cancel').addEventListener('click', () => send({ type: 'cancel' }));
$('compare').addEventListener('click', compare);
$('resume').addEventListener('click', resume);
$('discard').addEventListener('click', () => send({ type: 'discard' }));

const gpu = 'gpu' in navigator;
$('env').textContent = `${gpu ? 'WebGPU or ' : ''}WebAssembly ${crossOriginIsolated ? `with ${navigator.hardwareConcurrency} threads` : 'on one thread (the page is not cross-origin isolated)'}`;
describeChoice();
send({ type: 'saved' });

Object.assign(window, {
  osteon,
  osteonPage: { state, train: (o: Partial<PageOptions> = {}) => train(false, o), resume, cancel: () => send({ type: 'cancel' }) },
});
