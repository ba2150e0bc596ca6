// `osteon doctor`: which backends exist here, and whether their kernels compute PEFT's numbers on this
// machine (WebGPU drivers differ, and some are wrong). Platform-neutral: PEFT's cases arrive as bytes; the
// attention case is generated and checked against the reference backend.
import type { Backend, BackendInfo } from '../backend.js';
import { readSafetensors } from '../safetensors.js';
import { runAttentionCase } from './attention-case.js';
import { type CaseResult, runFixtureCase } from './fixture-case.js';

export interface DoctorReport {
  backends: BackendInfo[];
  cases: CaseResult[];
  pass: boolean;
}

/** Run every case on every backend, then the attention case (attention-case.ts). `onCase` sees each case's
 *  results as they come (for progress). */
export async function runDoctor(
  backends: Backend[], cases: Record<string, Uint8Array>, onCase?: (results: CaseResult[]) => void,
): Promise<DoctorReport> {
  const all: CaseResult[] = [];
  // A second backend of one name runs other kernel variants (select.ts availableBackends): named by them.
  const label = (b: Backend, i: number) => (backends.findIndex((x) => x.name === b.name) === i ? b.name : `${b.name} (${b.info.variant ?? i})`);
  const runners = Object.entries(cases).map(([name, bytes]) => {
    const file = readSafetensors(bytes, name);
    return { name, run: (b: Backend) => runFixtureCase(b, name, file) };
  });
  runners.push({ name: 'attention', run: runAttentionCase });
  for (const { name, run } of runners) {
    for (const [i, b] of backends.entries()) {
      let results: CaseResult[];
      try {
        results = (await run(b)).map((r) => ({ ...r, backend: label(b, i) }));
      } catch (e) {
        // A backend that throws on a case fails it, with the reason, and the others still run.
        results = [{ case: name, backend: label(b, i), tensor: `error: ${(e as Error).message}`, max_rel_err: Infinity, pass: false }];
      }
      all.push(...results);
      onCase?.(results);
    }
  }
  return { backends: backends.map((b) => b.info), cases: all, pass: all.length > 0 && all.every((r) => r.pass) };
}
