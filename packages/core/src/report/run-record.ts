/**
 * What every replication's per-run result.json records besides its scores:
 * the engine and package versions that produced it, and its loss curve.
 */
import { engineInfo, engineRecord, type EngineRecord } from '../engine/backend.js';
import { readTrainingLog } from '../train/trainer.js';

export interface RunProvenance {
  backend: string;
  engine: EngineRecord;
  packages: Record<string, string>;
}

/** The running engine, with `packages` (packageVersions of the experiment's own dependencies). */
export function runProvenance(packages: Record<string, string>): RunProvenance {
  return { backend: engineInfo()?.backend ?? 'unknown', engine: engineRecord(), packages };
}

/** The run's training log as results.json keeps it: iteration and loss. */
export async function lossCurve(runDir: string): Promise<{ iter: number; loss: number }[]> {
  return (await readTrainingLog(runDir)).map(({ iter, loss }) => ({ iter, loss }));
}
