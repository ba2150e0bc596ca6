// WebAssembly threads for the wasm backend: threads - 1 workers, each with its own instance of
// build/kernels-threads.wasm over the main thread's shared memory. A kernel call is fork-join: the main thread
// writes the call (kernel, arguments, chunk count) into a control block in that memory and wakes the workers;
// then every thread, the main one included, takes chunks (asm/kernels/parts.ts) from a shared counter until none
// is left, and the main thread returns once every chunk is done. Taking chunks rather than fixed halves keeps a
// call fast when the OS delays a worker (a busy machine): the others take its share. Every op stays synchronous,
// with one code path for one or many threads; there is no queue and no asynchronous op.
// On an oversubscribed machine the OS can stop a worker in the middle of a chunk for milliseconds while the main
// thread waits for it, so the pool keeps score: when, over a window of calls, the main thread waited longer for
// workers than the workers saved it, it pauses them for a while (calls run on the main thread alone), then
// tries again.
// Where workers come from is the platform's business (ThreadHost): runtime/node.ts installs worker_threads;
// browsers use Web Workers, which may share memory only on cross-origin isolated pages (SharedArrayBuffer);
// everywhere else the backend runs on one thread.
// It deliberately does not recover from a worker that dies mid-call (a kernel trap is caught and reported).

/** A started worker. */
export interface WorkerHandle { terminate(): void }

export interface ThreadHost {
  /** Logical cores of the machine. */
  readonly cores: number;
  /** Start a worker that evaluates `main` (a self-contained function's source) as
   *  main(data, ready) and resolve once it has called ready(). */
  start(main: string, data: unknown): Promise<WorkerHandle>;
}

/** Web Workers, where the page may share memory with them (cross-origin isolated); otherwise none. */
function browserHost(): ThreadHost | null {
  const g = globalThis as { Worker?: typeof Worker; crossOriginIsolated?: boolean; navigator?: Navigator };
  if (!g.Worker || !g.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') return null;
  return {
    cores: g.navigator?.hardwareConcurrency ?? 1,
    start(main, data) {
      const source = `const main = ${main};\nself.onmessage = (e) => main(e.data, () => self.postMessage('ready'));`;
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const worker = new g.Worker!(url);
      return new Promise((resolve, reject) => {
        worker.onmessage = () => { URL.revokeObjectURL(url); resolve(worker); };
        worker.onerror = (e) => reject(new Error(`[wasm] a worker thread failed to start: ${e.message}`));
        worker.postMessage(data);
      });
    },
  };
}

let host: ThreadHost | null | undefined;

/** Install the platform's thread host (runtime/node.ts does, with worker_threads). */
export function setThreadHost(h: ThreadHost | null): void {
  host = h;
}

/** The thread host of this platform, or null where WebAssembly threads are not available. */
export function threadHost(): ThreadHost | null {
  if (host === undefined) host = browserHost();
  return host;
}

// Control block layout (Int32 slots), then the arguments as float64 (pointers, sizes and flags are all exact).
// NEXT holds the call's tag (its sequence number modulo 2^21) above the next chunk index (10 bits), so that a
// worker that wakes late for a finished call can never take a chunk of the next one.
const SEQ = 0, NEXT = 1, FINISHED = 2, CHUNKS = 3, ERROR = 4, JOB = 5, ARGC = 6;
const CHUNK_BITS = 10;
const MAX_CHUNKS = 1 << CHUNK_BITS;
const TAG_MASK = (1 << (31 - CHUNK_BITS)) - 1;
const ARGS_BYTES = 64;
const MAX_ARGS = 32;
/** Bytes of shared memory the pool needs for its control block. */
export const CONTROL_BYTES = ARGS_BYTES + MAX_ARGS * 8;
// Busy-wait iterations (a few nanoseconds each) before sleeping. The main thread waits only for chunks already
// taken, so it spins longer; an idle worker spins briefly, so that back-to-back calls skip the wake-up without
// taking a busy machine's cycles for long (a late worker costs little: the others take its chunks).
const SPIN = 20000;
const WORKER_SPIN = 4000;
// Calls scored per window, and ops run on the main thread alone after a window where the workers cost more
// than they saved.
const SCORE_WINDOW = 32;
const PAUSE_OPS = 512;

type Slots = Record<'seq' | 'next' | 'finished' | 'chunks' | 'error' | 'job' | 'argc', number>;
const SLOTS: Slots = { seq: SEQ, next: NEXT, finished: FINISHED, chunks: CHUNKS, error: ERROR, job: JOB, argc: ARGC };
interface WorkerData {
  module: WebAssembly.Module; memory: WebAssembly.Memory; control: number; thread: number; names: string[];
  slots: Slots; argsBytes: number; maxArgs: number; chunkBits: number; tagMask: number; spin: number;
}

/** Take chunks of call `seq` until none is left, running kernel(...args, chunk, chunks, thread) on each; returns
 *  how many this thread ran. Shared by the main thread and the workers (and sent to the workers as source). */
function takeChunks(ctl: Int32Array, s: Slots, seq: number, chunkBits: number, tagMask: number, run: (chunk: number) => void): number {
  const tag = (seq & tagMask) << chunkBits, chunks = Atomics.load(ctl, s.chunks);
  for (let taken = 0; ; taken++) {
    const next = Atomics.load(ctl, s.next);
    if ((next & ~((1 << chunkBits) - 1)) !== tag || (next & ((1 << chunkBits) - 1)) >= chunks) return taken;
    if (Atomics.compareExchange(ctl, s.next, next, next + 1) !== next) {
      taken--;
      continue;
    }
    try {
      run(next & ((1 << chunkBits) - 1));
    } catch {
      Atomics.store(ctl, s.error, 1);
    }
    if (Atomics.add(ctl, s.finished, 1) === chunks - 1) Atomics.notify(ctl, s.finished);
  }
}

/** The worker side: instantiate, report ready, then help with every call until told to stop (job -1).
 *  Self-contained but for takeChunks (both are sent as source text). */
function workerMain(d: WorkerData, ready: () => void): void {
  const k = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports as Record<string, (...a: number[]) => void>;
  const ctl = new Int32Array(d.memory.buffer, d.control, 8);
  const args = new Float64Array(d.memory.buffer, d.control + d.argsBytes, d.maxArgs);
  const s = d.slots;
  ready();
  let seen = 0;
  for (;;) {
    for (let i = 0; i < d.spin && Atomics.load(ctl, s.seq) === seen; i++);
    Atomics.wait(ctl, s.seq, seen);
    seen = Atomics.load(ctl, s.seq);
    const job = Atomics.load(ctl, s.job);
    if (job < 0) return;
    // The arguments may already belong to a later call; takeChunks then finds no chunk of call `seen` to run.
    const call = Array.from(args.subarray(0, Atomics.load(ctl, s.argc)));
    const kernel = k[d.names[job]];
    takeChunks(ctl, s, seen, d.chunkBits, d.tagMask, (chunk) => kernel(...call, chunk, Atomics.load(ctl, s.chunks), d.thread));
  }
}

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly ids: Map<string, number>;
  /** Atomics.wait is allowed here (Node, workers) or not (a browser's main thread: spin instead). */
  private readonly canBlock: boolean;
  private seq = 0;
  // The current scoring window: calls, main-thread time the workers saved, and time it waited for them (ms).
  private scored = 0;
  private saved = 0;
  private waited = 0;
  private pausedFor = 0;

  private constructor(
    memory: WebAssembly.Memory, control: number, readonly threads: number, private readonly workers: WorkerHandle[], names: string[],
  ) {
    this.ctl = new Int32Array(memory.buffer, control, 8);
    this.args = new Float64Array(memory.buffer, control + ARGS_BYTES, MAX_ARGS);
    this.ids = new Map(names.map((n, i) => [n, i]));
    let canBlock = true;
    try { Atomics.wait(this.ctl, ERROR, 1, 0); } catch { canBlock = false; }
    this.canBlock = canBlock;
  }

  /** threads - 1 workers on `module` (the shared-memory build) over `memory`, control block at `control`;
   *  `names` are the kernels they may be asked to run. */
  static async start(h: ThreadHost, module: WebAssembly.Module, memory: WebAssembly.Memory, control: number, threads: number, names: string[]): Promise<ThreadPool> {
    const source = `(() => { const takeChunks = ${takeChunks.toString()};\nreturn ${workerMain.toString()}; })()`;
    const workers = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => h.start(source, {
      module, memory, control, thread: i + 1, names, slots: SLOTS, argsBytes: ARGS_BYTES, maxArgs: MAX_ARGS,
      chunkBits: CHUNK_BITS, tagMask: TAG_MASK, spin: WORKER_SPIN,
    } satisfies WorkerData)));
    return new ThreadPool(memory, control, threads, workers, names);
  }

  /** Whether the next op should use the workers (false while they are paused). */
  get active(): boolean {
    if (this.pausedFor === 0) return true;
    this.pausedFor--;
    return false;
  }

  /** Run kernel `name`(...args, chunk, chunks, thread) for every chunk < chunks, on every thread that is free
   *  (`kernel` is this thread's instance of it), and return when all chunks are done. */
  run(name: string, kernel: (...a: number[]) => void, args: number[], chunks: number): void {
    const id = this.ids.get(name);
    if (id === undefined || args.length > MAX_ARGS || !(chunks >= 1 && chunks < MAX_CHUNKS)) {
      throw new Error(`[wasm] kernel ${name} cannot run on the thread pool in ${chunks} chunks`);
    }
    const { ctl } = this;
    const seq = ++this.seq;
    this.args.set(args);
    Atomics.store(ctl, JOB, id);
    Atomics.store(ctl, ARGC, args.length);
    Atomics.store(ctl, CHUNKS, chunks);
    Atomics.store(ctl, FINISHED, 0);
    Atomics.store(ctl, ERROR, 0);
    Atomics.store(ctl, NEXT, (seq & TAG_MASK) << CHUNK_BITS);
    Atomics.store(ctl, SEQ, seq);
    Atomics.notify(ctl, SEQ);
    const start = performance.now();
    const mine = takeChunks(ctl, SLOTS, seq, CHUNK_BITS, TAG_MASK, (chunk) => kernel(...args, chunk, chunks, 0));
    const own = performance.now();
    for (let i = 0; ; i++) {
      const finished = Atomics.load(ctl, FINISHED);
      if (finished === chunks) break;
      if (this.canBlock && i > SPIN) Atomics.wait(ctl, FINISHED, finished);
    }
    this.score(mine > 0 ? ((own - start) / mine) * (chunks - mine) : 0, performance.now() - own);
    if (Atomics.load(ctl, ERROR)) throw new Error(`[wasm] kernel ${name} failed (a WebAssembly trap in one of its chunks)`);
  }

  /** Count one call: the workers saved about `saved` ms of main-thread work (their chunks at the main thread's
   *  pace) and the main thread waited `waited` ms for them. */
  private score(saved: number, waited: number): void {
    this.saved += saved;
    this.waited += waited;
    if (++this.scored < SCORE_WINDOW) return;
    if (this.waited > this.saved) this.pausedFor = PAUSE_OPS;
    this.scored = this.saved = this.waited = 0;
  }

  /** Stop and release the workers. */
  stop(): void {
    Atomics.store(this.ctl, JOB, -1);
    Atomics.store(this.ctl, SEQ, ++this.seq);
    Atomics.notify(this.ctl, SEQ);
    for (const w of this.workers) w.terminate();
  }
}
