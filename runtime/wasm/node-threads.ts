// WebAssembly threads in Node: worker_threads running the worker loop of runtime/wasm/threads.ts, one per
// extra core. Installed by runtime/node.ts, so browser bundles never import Node modules. A worker is unref'd
// once it is ready, so that an idle pool never keeps a process alive.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ThreadHost } from './threads.js';

export const nodeThreadHost: ThreadHost = {
  cores: availableParallelism(),
  start(main, data) {
    const source = `const { parentPort } = require('node:worker_threads');\nconst main = ${main};\n` +
      `parentPort.once('message', (d) => main(d, () => parentPort.postMessage('ready')));`;
    const worker = new Worker(source, { eval: true });
    return new Promise((resolve, reject) => {
      worker.once('message', () => { worker.unref(); resolve(worker); });
      worker.once('error', (e) => reject(new Error(`[wasm] a worker thread failed to start: ${e.message}`)));
      worker.postMessage(data);
    });
  },
};
