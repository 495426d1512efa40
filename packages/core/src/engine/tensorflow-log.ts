/**
 * TensorFlow's log lines while its library loads. Static initialisers of
 * libtensorflow_framework.so.2 log through Abseil straight to file
 * descriptor 2 during the addon's dlopen (the oneDNN notice of port.cc,
 * cpu_feature_guard.cc, and Abseil's "All log messages before
 * absl::InitializeLog()" line), before TF_CPP_MIN_LOG_LEVEL reaches Abseil,
 * so no environment variable silences them. While the addon loads, fd 2
 * points at a file (native/stderr-redirect, built by @seg/core's
 * postinstall); afterwards the lines TF_CPP_MIN_LOG_LEVEL lets through are
 * written to stderr, and everything that is not a TensorFlow log line is
 * written back as it came.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface StderrRedirect {
  redirect(file: string): number;
  restore(saved: number): void;
}

const ADDON = '../../native/stderr-redirect/build/Release/stderr_redirect.node';

function stderrRedirect(): StderrRedirect | undefined {
  try {
    return createRequire(import.meta.url)(ADDON) as StderrRedirect;
  } catch {
    return undefined; // not built (no compiler at install): TensorFlow's lines show as it prints them
  }
}

/** TF_CPP_MIN_LOG_LEVEL as TensorFlow reads it: 0 INFO and up, 1 WARNING, 2 ERROR, 3 FATAL only. */
export function tensorflowLogLevel(value = process.env.TF_CPP_MIN_LOG_LEVEL): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 3) : 0;
}

const SEVERITY = 'IWEF';
/**
 * Abseil's prefix (`I0000 00:00:1796665149.544563    5738 port.cc:153] `:
 * before absl::InitializeLog the time is seconds since the epoch) and
 * TSL's older one (`2024-01-02 03:04:05.678901: I tensorflow/...] `).
 */
const ENTRY = /^(?:([IWEF])\d{4} [\d:.]+\s+\d+ [^\]\s]+\] |\d{4}-\d\d-\d\d [\d:.]+: ([IWEF]) )/;
const ABSL_PREAMBLE = /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/;

/**
 * What of `text` (fd 2's output while TensorFlow loaded) reaches stderr at
 * log level `level`: entries of that severity or above, with their
 * continuation lines; Abseil's preamble only with an entry; any other output
 * as it was.
 */
export function keptLogText(text: string, level: number): string {
  const kept: string[] = [];
  let keepingEntry: boolean | undefined;
  let preamble: string | undefined;
  for (const line of text.split(/(?<=\n)/)) {
    const m = ENTRY.exec(line);
    if (m) {
      keepingEntry = SEVERITY.indexOf((m[1] ?? m[2])!) >= level;
      if (keepingEntry && preamble !== undefined) {
        kept.push(preamble);
        preamble = undefined;
      }
      if (keepingEntry) kept.push(line);
    } else if (ABSL_PREAMBLE.test(line.trimEnd())) {
      preamble = line;
    } else if (keepingEntry === undefined || keepingEntry) kept.push(line);
  }
  return kept.join('');
}

/**
 * Runs `load` (which loads TensorFlow's library) with fd 2 captured and
 * writes what TF_CPP_MIN_LOG_LEVEL lets through afterwards. At level 0, or
 * without the addon, fd 2 is left alone.
 */
export async function withTensorflowLog<T>(load: () => Promise<T>): Promise<T> {
  const level = tensorflowLogLevel();
  const addon = level > 0 ? stderrRedirect() : undefined;
  if (!addon) return load();
  const dir = mkdtempSync(path.join(tmpdir(), 'seg-tensorflow-'));
  const file = path.join(dir, 'stderr.log');
  let saved: number;
  try {
    saved = addon.redirect(file);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return load();
  }
  try {
    return await load();
  } finally {
    addon.restore(saved);
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const kept = keptLogText(text, level);
    if (kept) process.stderr.write(kept);
  }
}
