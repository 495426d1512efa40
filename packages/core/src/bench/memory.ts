/**
 * Resident memory of this process, for the training benchmark. The peak is
 * Linux's VmHWM, which writing "5" to /proc/self/clear_refs resets, so each
 * row gets its own peak; elsewhere only the current RSS is known.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const MB = 2 ** 20;

/** Resets the peak-RSS mark; false where the OS does not allow it. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS since the last reset, in MiB (undefined off Linux). */
export function peakRssMb(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export function rssMb(): number {
  return Math.round(process.memoryUsage.rss() / MB);
}
