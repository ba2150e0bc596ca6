// One platform's part of the benchmark, the same in a Node process and in a page: create the backend, run
// the workloads on it, and describe where they ran. Peak memory that only the host can read (a process's
// RSS) is added by the caller.
import { type BackendChoice, createBackend } from '../runtime/select.js';
import type { PlatformResult } from './schema.js';
import { SUITES, type WorkloadName, WORKLOADS, runWorkloads, trackTensorBytes } from './workloads.js';

export interface PlatformRun {
  platform: string;
  backend: BackendChoice;
  suite: string;
  workloads?: WorkloadName[];
  /** Hears each workload as it finishes, with its seconds (progress). */
  onDone?: (workload: string, seconds: number) => void;
}

export async function runPlatform(o: PlatformRun): Promise<PlatformResult> {
  const started = performance.now();
  const suite = SUITES[o.suite];
  if (!suite) throw new Error(`[bench] suite=${o.suite} is not one of ${Object.keys(SUITES).join(', ')}`);
  const runtime = typeof navigator !== 'undefined' && navigator.userAgent && !navigator.userAgent.startsWith('Node')
    ? navigator.userAgent : `Node ${(globalThis as { process?: { version: string } }).process?.version}`;
  let backend;
  try {
    backend = await createBackend({ backend: o.backend });
  } catch (e) {
    return {
      info: { platform: o.platform, backend: o.backend, device: 'none', details: {}, runtime }, results: null,
      skipped: (e as Error).message, memory: {}, seconds: (performance.now() - started) / 1000,
    };
  }
  const peakTensors = trackTensorBytes(backend);
  try {
    let last = performance.now();
    const results = await runWorkloads(backend, suite, o.workloads ?? WORKLOADS, (name) => {
      o.onDone?.(name, (performance.now() - last) / 1000);
      last = performance.now();
    });
    const heap = (performance as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
    return {
      info: { platform: o.platform, backend: backend.name, device: backend.info.device, details: backend.info.details, runtime },
      results, memory: { peakTensorBytes: peakTensors(), ...(heap ? { jsHeapBytes: heap } : {}) },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    backend.destroy();
  }
}
