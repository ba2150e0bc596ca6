// Learning-rate schedules: linear warmup from 0, then cosine or linear decay to minRatio * lr, or constant
// (transformers' get_cosine_schedule_with_warmup / get_linear_schedule_with_warmup, with a floor).

export type ScheduleKind = 'cosine' | 'linear' | 'constant';

export interface Schedule { kind: ScheduleKind; lr: number; warmup: number; total: number; minRatio: number }

/** Learning rate for 0-based optimizer step `step` of `total`. */
export function learningRate(s: Schedule, step: number): number {
  if (step < s.warmup) return (s.lr * (step + 1)) / (s.warmup + 1);
  if (s.kind === 'constant') return s.lr;
  const progress = Math.min(1, (step - s.warmup) / Math.max(1, s.total - s.warmup));
  const shape = s.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return s.lr * (s.minRatio + (1 - s.minRatio) * shape);
}
