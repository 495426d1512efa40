/**
 * What `seg train` recorded in RUN/config.json, read back by the verbs that
 * take --run: eval takes its data, format and classes from there unless the
 * command line gives them, and inference learns which zoo model it runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDatasetName } from '@seg/core/data';
import { UsageError } from './errors.js';

export interface RunConfig {
  model?: string;
  data?: string;
  format?: string;
  classes?: number;
  split?: string;
}

/** RUN/config.json, or undefined where the run has none (a run trained by the library, not by seg train). */
export function readRunConfig(run: string): RunConfig | undefined {
  const file = path.join(run, 'config.json');
  if (!existsSync(file)) return undefined;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as RunConfig;
    return c && typeof c === 'object' ? c : undefined;
  } catch (err) {
    throw new UsageError(`${file} cannot be read as JSON (${(err as Error).message.replace(/\.$/, '')}); give the flags it would supply on the command line.`);
  }
}

/**
 * Fills --data, --format and --classes that the command line leaves out from
 * the run's config.json (a flag given wins). When the recorded data folder
 * is gone, one sentence names it and the flag to override it.
 */
export function fillFromRun(v: Record<string, unknown>, run: string | undefined): void {
  if (run === undefined) return;
  const c = readRunConfig(run);
  if (!c) return;
  if (v.data === undefined && typeof c.data === 'string') {
    // a dataset name is resolved later, through SEG_DATA_DIR
    if (!existsSync(c.data) && !isDatasetName(c.data)) throw new UsageError(`Run ${run} was trained on ${c.data}, which no longer exists; give the data with --data DIR.`);
    v.data = c.data;
  }
  if (v.format === undefined && typeof c.format === 'string') v.format = c.format;
  if (v.classes === undefined && typeof c.classes === 'number') v.classes = String(c.classes);
}
