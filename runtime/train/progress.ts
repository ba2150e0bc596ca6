// A one-line progress bar for long work: redrawn in place on a terminal, a line every tenth otherwise.

export class Progress {
  private readonly start = performance.now();
  private lastDecile = -1;

  /** `first`: work already done before this process started (a resumed run), left out of the ETA's rate. */
  constructor(readonly total: number, private readonly stream: { write(s: string): unknown; isTTY?: boolean }, private readonly first = 0) {}

  /** `done` of `total` finished; `extra` is shown after the bar (loss, tokens/s, ...). */
  update(done: number, extra: string): void {
    const elapsed = (performance.now() - this.start) / 1000;
    const eta = done > this.first ? (elapsed / (done - this.first)) * (this.total - done) : NaN;
    const width = 24;
    const filled = Math.round((done / this.total) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${extra} ` +
      `elapsed ${formatSeconds(elapsed)} ETA ${Number.isFinite(eta) ? formatSeconds(eta) : '?'}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[K${line}${done === this.total ? '\n' : ''}`);
    } else {
      const decile = Math.floor((done / this.total) * 10);
      if (decile !== this.lastDecile || done === this.total) {
        this.lastDecile = decile;
        this.stream.write(`${line}\n`);
      }
    }
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
