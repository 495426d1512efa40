/**
 * Progress of a long task on stderr: a bar redrawn in place on a terminal,
 * otherwise a line each time another few percent are done (logs and CI
 * capture every line, so a redrawn bar would fill them).
 */
import { formatDuration } from '../train/progress.js';

export interface TaskProgressOptions {
  /** 'bytes' prints sizes and a byte rate; 'items' counts ("12/101 images"). */
  unit?: 'bytes' | 'items';
  /** The noun of an item ("images"), for the count. */
  noun?: string;
  /** Without a terminal, a line every this many percent. */
  everyPercent?: number;
  /** Where to write; stderr by default (tests pass their own). */
  write?: (s: string) => void;
  /** Whether the output is a terminal; stderr's isTTY by default. */
  tty?: boolean;
}

/** Decimal units, as download pages and `df -H` give sizes. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 999.5 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export class TaskProgress {
  private readonly start = performance.now();
  private readonly write: (s: string) => void;
  private readonly tty: boolean;
  private lastStep = -1;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly o: TaskProgressOptions = {},
    /** Work already done before this process started (a resumed download): not counted in the rate. */
    private readonly from = 0,
  ) {
    this.write = o.write ?? ((s) => process.stderr.write(s));
    this.tty = o.tty ?? Boolean(process.stderr.isTTY);
  }

  private amount(n: number): string {
    return this.o.unit === 'bytes' ? formatBytes(n) : String(n);
  }

  /** The line for `done` of the total (exported for tests through update's output). */
  line(done: number): string {
    const secs = (performance.now() - this.start) / 1000;
    const rate = (done - this.from) / Math.max(secs, 1e-9);
    const pct = this.total > 0 ? Math.min(100, (100 * done) / this.total) : 100;
    const eta = rate > 0 ? (this.total - done) / rate : undefined;
    const count = `${this.amount(done)}/${this.amount(this.total)}${this.o.noun ? ` ${this.o.noun}` : ''}`;
    const speed = this.o.unit === 'bytes' ? `${formatBytes(Math.round(rate))}/s` : `${rate.toFixed(rate < 10 ? 2 : 1)}/s`;
    const left = done >= this.total ? `in ${formatDuration(secs)}` : eta === undefined ? '' : `${formatDuration(eta)} left`;
    return `${this.label} ${pct.toFixed(0).padStart(3)}% ${count}  ${speed}  ${left}`.trimEnd();
  }

  update(done: number): void {
    const pct = this.total > 0 ? (100 * done) / this.total : 100;
    if (this.tty) {
      const width = 20;
      const filled = Math.round((width * Math.min(pct, 100)) / 100);
      this.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.line(done)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const step = Math.floor(pct / (this.o.everyPercent ?? 5));
    if (step > this.lastStep) {
      this.lastStep = step;
      this.write(`${this.line(done)}\n`);
    }
  }

  /** Ends the bar's line on a terminal; call once, also when the task fails. */
  end(): void {
    if (this.tty && this.drawn) this.write('\n');
    this.drawn = false;
  }
}
