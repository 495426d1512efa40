/**
 * What every replication (experiments/<paper>) needs besides training:
 * atomic report files, config-checked run folders (a run is resumed or
 * reused only for the same config), package versions for results.json, and
 * mean ± sd over seeds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describeEngine, initEngine } from '../engine/backend.js';

import { atomicWriteFile } from '../io/atomic-write.js';
import type { OptimizerConfig } from '../train/optimizer.js';
import { camvid } from '../data/datasets.js';
import { downscaled, subset } from '../data/resample.js';
import type { Dataset } from '../data/types.js';

/** The first `n` images of a CamVid split (SegNet's layout), downscaled by an integer factor: what the CamVid replications train and score on. */
export async function camvidSplit(dataDir: string, split: 'train' | 'val' | 'test', downscale: number, n: number): Promise<Dataset> {
  const all = await camvid(dataDir, split);
  const d = downscale > 1 ? downscaled(all, downscale) : all;
  return subset(d, Array.from({ length: Math.min(n, d.length) }, (_, i) => i), `camvid-${split}`);
}

/**
 * Makes `runDir` hold the run of `config`: a folder written for another
 * config is cleared (its checkpoints would resume the wrong run). Returns
 * whether the folder was started afresh.
 */
export async function prepareRunDir(runDir: string, config: unknown, log?: (s: string) => void): Promise<boolean> {
  const file = path.join(runDir, 'experiment.json');
  const text = JSON.stringify(config);
  if (existsSync(file) && (await readFile(file, 'utf8')) !== text) {
    log?.(`${runDir}: config changed, starting over`);
    await rm(runDir, { recursive: true, force: true });
  }
  await mkdir(runDir, { recursive: true });
  if (existsSync(file)) return false;
  await atomicWriteFile(file, text);
  return true;
}

/** Installed versions of `names`, resolved from the module at `from` (import.meta.url). */
export function packageVersions(names: string[], from: string): Record<string, string> {
  const require = createRequire(from);
  const out: Record<string, string> = {};
  for (const p of names) {
    try {
      out[p] = (JSON.parse(readFileSync(require.resolve(`${p}/package.json`), 'utf8')) as { version: string }).version;
    } catch {
      out[p] = 'unknown';
    }
  }
  return out;
}

export interface MeanSd {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one value. */
  std: number;
  n: number;
}

export function meanSd(values: number[]): MeanSd {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** "0.1234 ± 0.0056" (just the mean for one value). */
export const formatMeanSd = (s: MeanSd, digits = 4) => (s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits));

/** What every replication profile on CamVid-like data names (experiments/<paper>/src/profiles.ts extend it). */
export interface ProfileBase {
  name: 'smoke' | 'quick' | 'full';
  /** Integer downscale of the dataset's images. */
  downscale: number;
  /** Training crop [h, w] (after downscaling). */
  crop: [number, number];
  iters: number;
  batch: number;
  optimizer: OptimizerConfig;
  seeds: number[];
  trainImages: number;
  valImages: number;
}

/** Where a replication reads and writes (experiments/<paper>/src/replicate.ts takes these). */
export interface ReplicationOptions<P> {
  profile: P;
  dataDir: string;
  runsDir: string;
  reportsDir: string;
  log?: (s: string) => void;
}

/**
 * The body of experiments/<paper>/src/main.ts: the engine line, the run,
 * its time, and any failure as one sentence with exit code 1.
 * `run` gets the repository root and returns the profile name it ran.
 */
export async function runReplication(paper: string, run: (root: string) => Promise<string>, root: string): Promise<void> {
  try {
    console.error(describeEngine(await initEngine()));
    const t0 = Date.now();
    const profile = await run(root);
    console.error(`replicate ${paper} (${profile}): done in ${((Date.now() - t0) / 1000).toFixed(0)} s; see reports/${paper}/report.md`);
  } catch (err) {
    console.error(`replicate ${paper}: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

/**
 * Whether "a beats b" held over seeds, in one phrase for a report: "held"
 * when the mean gap exceeds the larger seed sd, "held on the mean only" when
 * it is within it, "did not hold" otherwise; with the numbers.
 */
export function claimVerdict(a: MeanSd, b: MeanSd, o: { lowerIsBetter?: boolean; digits?: number; unit?: string } = {}): string {
  const digits = o.digits ?? 2;
  const gap = a.mean - b.mean;
  const better = o.lowerIsBetter ? gap < 0 : gap > 0;
  const spread = Math.max(a.std, b.std);
  const verdict = !better ? 'did not hold' : a.n > 1 && Math.abs(gap) > spread ? 'held' : 'held on the mean only, within the seed spread';
  return `${verdict} (${a.mean.toFixed(digits)} vs ${b.mean.toFixed(digits)}, difference ${gap >= 0 ? '+' : ''}${gap.toFixed(digits)}${o.unit ?? ''}, largest seed sd ${spread.toFixed(digits)})`;
}

/** A file-name form of a variant name: "v2 ASPP-L" -> "v2-aspp-l". */
export const slugify = (name: string) => name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();

/** The profile SEG_PROFILE names (default "quick"), with one sentence naming the variable when it names none. */
export function selectProfile<P>(profiles: Record<string, P>, value = process.env.SEG_PROFILE): P {
  const name = value ?? 'quick';
  const p = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (!p) throw new Error(`SEG_PROFILE must be ${Object.keys(profiles).join(', ').replace(/, ([^,]*)$/, ' or $1')} (got "${value}").`);
  return p;
}
