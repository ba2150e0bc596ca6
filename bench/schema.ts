// The benchmark results file (results.json), version 1: what ran where, and every figure with its spread.
// docs/bench-results.md describes it for readers and other tools; `osteon bench report` merges several
// files (from several machines) into one report.

export const SCHEMA = 'osteon-bench/1';

/** One figure over repetitions: the median is the figure, min and max its spread. */
export interface Stat { median: number; min: number; max: number; n: number; unit: string }

export interface WorkloadResult {
  /** matmul | adapter | train | generate | tokenizer */
  workload: string;
  /** What exactly was measured, e.g. "1024x1024x1024 f32" or "bone r=64, 576x1536". */
  case: string;
  /** "passed: <how>" once the result was checked against a reference before timing. */
  check: string;
  metrics: Record<string, Stat>;
}

/** Where one platform ran: the device and runtime as the platform reports them. */
export interface PlatformInfo {
  /** node-webgpu | node-wasm | chromium-webgpu | chromium-wasm | browser-webgpu | browser-wasm | a peer's name */
  platform: string;
  backend: string;
  device: string;
  /** Adapter limits and features (WebGPU), threads and SIMD (wasm), versions (peers). */
  details: Record<string, string | number | boolean>;
  runtime: string;
}

export interface PlatformResult {
  info: PlatformInfo;
  /** Null when the platform could not run; `skipped` says why (not installed, no adapter, ...). */
  results: WorkloadResult[] | null;
  skipped?: string;
  /** Peak memory of the platform's own process or page, in bytes, where it can be read. */
  memory: Record<string, number>;
  seconds: number;
}

export interface Machine { cpu: string; cores: number; memoryBytes: number; os: string; node?: string; userAgent?: string }

export interface BenchResults {
  schema: typeof SCHEMA;
  created: string;
  suite: string;
  osteon: { version: string; commit: string | null };
  machine: Machine;
  platforms: PlatformResult[];
}

/** Median, min and max of samples. */
export function stat(samples: number[], unit: string): Stat {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], min: s[0], max: s[s.length - 1], n: s.length, unit };
}
