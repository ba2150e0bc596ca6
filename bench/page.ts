// The benchmark page (dist/bench, `osteon bench --serve`): runs the browser platforms of the suite on this
// device, shows the report, and offers results.json for `osteon bench report`. `window.osteonBench.run` is
// what `osteon bench` calls for its Chromium platforms.
import { type PlatformRun, runPlatform } from './platform.js';
import { renderReport } from './report.js';
import { type BenchResults, SCHEMA } from './schema.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const log = (s: string) => { $('log').textContent += `${s}\n`; };

async function runHere(): Promise<void> {
  $<HTMLButtonElement>('run').disabled = true;
  const suite = $<HTMLSelectElement>('suite').value;
  const results: BenchResults = {
    schema: SCHEMA, created: new Date().toISOString(), suite, osteon: { version: 'page', commit: null },
    machine: { cpu: navigator.platform || 'unknown', cores: navigator.hardwareConcurrency, memoryBytes: ((navigator as { deviceMemory?: number }).deviceMemory ?? 0) * 2 ** 30, os: navigator.userAgent, userAgent: navigator.userAgent },
    platforms: [],
  };
  for (const backend of ['webgpu', 'wasm'] as const) {
    if (!$<HTMLInputElement>(backend).checked) continue;
    log(`browser-${backend}: running`);
    try {
      results.platforms.push(await runPlatform({ platform: `browser-${backend}`, backend, suite, onDone: (w, seconds) => log(`  ${w} done in ${seconds.toFixed(1)} s`) }));
    } catch (e) {
      log(`browser-${backend} failed: ${(e as Error).message}`);
    }
  }
  $<HTMLIFrameElement>('report').srcdoc = renderReport([results]);
  const a = $<HTMLAnchorElement>('download');
  a.href = URL.createObjectURL(new Blob([JSON.stringify(results, null, 2)], { type: 'application/json' }));
  a.hidden = false;
  $<HTMLButtonElement>('run').disabled = false;
}

$('run').addEventListener('click', () => void runHere());
Object.assign(window, { osteonBench: { run: (o: PlatformRun) => runPlatform(o) } });
