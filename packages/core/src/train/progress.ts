/** Progress on stderr: a redrawn line on a terminal, a line every few iterations otherwise. */
export class Progress {
  private readonly start = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly total: number,
    private readonly from: number,
    private readonly every = 10,
  ) {}

  update(iter: number, loss: number): void {
    const done = iter - this.from;
    const secs = (performance.now() - this.start) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (this.total - iter) / rate : 0;
    const line = `iter ${iter}/${this.total}  loss ${loss.toFixed(4)}  ${rate.toFixed(2)} it/s  ETA ${formatDuration(eta)}`;
    if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (iter % this.every === 0 || iter === this.total) process.stderr.write(`${line}\n`);
  }

  end(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
