/**
 * What every replication (experiments/<paper>) needs besides training:
 * atomic report files, config-checked run folders (a run is resumed or
 * reused only for the same config), package versions for results.json, and
 * mean ± sd over seeds.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describeEngine, initEngine } from '../engine/backend.js';
import { writeReportsIndex } from './index-page.js';
import { compareSeeds } from './statistics.js';
import { gridListing, hasCheckpoint, parseGridArgs, runSelected, runStatus, selectRuns, type GridRun } from './run-grid.js';
import { InputError } from '../errors/input-error.js';

import { atomicWriteFile } from '../io/atomic-write.js';
import type { OptimizerConfig } from '../train/optimizer.js';
import { camvid } from '../data/datasets.js';
import { datasetPath, datasetStatus, ensureDataset } from '../data/store.js';
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
  /** The values themselves (one per seed), for the two-sample tests of a verdict. */
  values: number[];
}

export function meanSd(values: number[]): MeanSd {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n, values: [...values] };
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

/** Where a replication reads and writes; each may be moved by an environment variable (a cluster's shared mount). */
export interface ReplicationDirs {
  /** The dataset's folder: under SEG_DATA_DIR (seg data), or the copy that ships with seg (ISBI's training slices). */
  dataDir: string;
  /** SEG_RUNS_DIR/<paper>, default experiments/<paper>/runs: one folder per profile, one per run in it. */
  runsDir: string;
  /** SEG_REPORTS_DIR/<paper>, default reports/<paper>. */
  reportsDir: string;
}

export function replicationDirs(paper: string, root: string, dataset: string): ReplicationDirs {
  const env = (name: string) => (process.env[name] ? path.resolve(process.env[name]!) : undefined);
  return {
    dataDir: datasetStatus(dataset).path,
    runsDir: path.join(env('SEG_RUNS_DIR') ?? path.join(root, 'experiments'), paper, ...(env('SEG_RUNS_DIR') ? [] : ['runs'])),
    reportsDir: path.join(env('SEG_REPORTS_DIR') ?? path.join(root, 'reports'), paper),
  };
}

/** Whether any run under runs/<paper> (any profile) got as far as a checkpoint or a result. */
function trainedAny(runsDir: string): boolean {
  const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()) : []);
  return entries(runsDir).some((profile) =>
    entries(path.join(runsDir, profile.name)).some((run) => {
      const dir = path.join(runsDir, profile.name, run.name);
      return existsSync(path.join(dir, 'result.json')) || hasCheckpoint(dir);
    }),
  );
}

/** A replication fetches a missing dataset itself up to this download size (CamVid: 187 MB); a larger one is `seg data get`'s. */
export const REPLICATION_FETCH_LIMIT = 200e6;

/**
 * What a replication's main.ts hands runReplication: its grid of runs (one
 * folder each under `runsDir`, which is runs/<profile>), how to run one, and
 * how to merge the finished runs into reports/<paper>/. Building it must not
 * touch the engine (`--list` runs without one).
 */
export interface GridReplication<M = unknown> {
  profile: string;
  runsDir: string;
  /** reports/<paper>: the merge writes here; reports/index.html sits one level up. */
  reportsDir: string;
  runs: GridRun[];
  runOne(run: GridRun): Promise<void>;
  /** Writes reports/<paper>/ (results.json, report.md, charts, overlays) from the runs, every one of them done. */
  merge(): Promise<M>;
}

/** Every run of the grid in this process, in grid order, then the merge: what a plain `replicate` does, for tests and scripts. */
export async function runAll<M>(g: GridReplication<M>): Promise<M> {
  for (const run of g.runs) await g.runOne(run);
  return g.merge();
}

/**
 * The body of experiments/<paper>/src/main.ts (the arguments are
 * report/run-grid.ts's):
 * - no flag: every run not done yet, then the merge into reports/<paper>/;
 * - `--shard K/N`, `--run ID`: only those runs (no merge: other workers
 *   may still be running theirs);
 * - `--list`: the grid with each run's status (no engine);
 * - `--report`: the merge, once every run is done; with no run folders at
 *   all (a fresh clone) and a results.json, `rewrite` re-renders report.md
 *   from it instead.
 * Any failure is one sentence, with exit code 2 for bad input and 1 otherwise.
 */
export async function runReplication(paper: string, root: string, dataset: string, plan: (dirs: ReplicationDirs) => GridReplication | Promise<GridReplication>, rewrite?: (reportsDir: string) => Promise<void>): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  try {
    // pnpm and turbo may pass the "--" that separates their own flags.
    const args = parseGridArgs(process.argv.slice(2).filter((a) => a !== '--'));
    const before = replicationDirs(paper, root, dataset);
    // A fresh clone's --report re-renders the committed results without the dataset (some plans read it).
    if (args.report && rewrite && !trainedAny(before.runsDir) && existsSync(path.join(before.reportsDir, 'results.json'))) {
      await rewrite(before.reportsDir);
      await writeReportsIndex(path.dirname(before.reportsDir));
      log(`replicate ${paper}: no run in ${before.runsDir}; report.md re-rendered from the committed results.json; see ${path.join(before.reportsDir, 'report.md')}`);
      return;
    }
    // Before the plan (PSPNet's and DeepLab's read the training labels) and the engine: a missing dataset
    // is fetched when small, else named with its command; --list fetches nothing.
    if (!args.list) await ensureDataset(dataset, { fetchUpTo: REPLICATION_FETCH_LIMIT, log });
    const dirs = replicationDirs(paper, root, dataset);
    const g = await Promise.resolve(plan(dirs)).catch((err: unknown) => {
      if (datasetStatus(dataset).status !== 'ready') datasetPath(dataset); // the sentence that says how to get it
      throw err;
    });
    const index = () => writeReportsIndex(path.dirname(g.reportsDir));
    if (args.list) {
      process.stdout.write(gridListing(g.runs, g.runsDir));
      return;
    }
    const t0 = Date.now();
    const status = () => g.runs.map((r) => runStatus(g.runsDir, r));
    if (args.report) {
      const s = status();
      if (s.every((x) => x === 'missing') && rewrite && existsSync(path.join(g.reportsDir, 'results.json'))) {
        await rewrite(g.reportsDir);
        await index();
        log(`replicate ${paper}: no run of the grid in ${g.runsDir}; report.md re-rendered from the committed results.json; see ${path.join(g.reportsDir, 'report.md')}`);
        return;
      }
      const left = s.filter((x) => x !== 'done').length;
      if (left) throw new InputError(`--report: ${left} of ${g.runs.length} runs in ${g.runsDir} are not done (replicate --list shows which); run them first.`);
    }
    const selected = args.report ? [] : selectRuns(g.runs, args, g.runsDir);
    log(describeEngine(await initEngine()));
    await runSelected(selected, g.runsDir, g.runOne, log);
    if (args.shard || args.run) {
      const done = status().filter((x) => x === 'done').length;
      log(`replicate ${paper} (${g.profile})${args.shard ? ` shard ${args.shard.k}/${args.shard.n}` : ''}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${done} of ${g.runs.length} runs of the grid are done${done === g.runs.length ? ': replicate --report merges them' : ''}.`);
      return;
    }
    await g.merge();
    // reports/index.html shows every report: regenerated after each replication (report/index-page.ts).
    await index();
    log(`replicate ${paper} (${g.profile}): done in ${((Date.now() - t0) / 1000).toFixed(0)} s; see ${path.join(g.reportsDir, 'report.md')}`);
  } catch (err) {
    log(`replicate ${paper}: ${(err as Error).message}`);
    process.exitCode = err instanceof InputError ? err.exitCode : 1;
  }
}

/** A p-value as a report prints it: "p = 0.037" (two significant digits), "p < 0.001" below that. */
export const formatP = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toPrecision(2)}`);

/**
 * Whether "a beats b" held over seeds, in one phrase for a report, from
 * Welch's t-test at α 0.05 (report/statistics.ts):
 * - "held": the gap is in the claimed direction and p < 0.05;
 * - "not resolved": p ≥ 0.05 (the mean's direction is named, and about how
 *   many seeds per variant would resolve a gap of this size);
 * - "did not hold": the opposite direction with p < 0.05.
 * Each states the gap in units of the pooled seed sd, Welch's t and p, and
 * the exact permutation p. With one seed on a side there is no test, and the
 * phrase says so.
 */
export function claimVerdict(a: MeanSd, b: MeanSd, o: { lowerIsBetter?: boolean; digits?: number; unit?: string; alpha?: number } = {}): string {
  const digits = o.digits ?? 2;
  const alpha = o.alpha ?? 0.05;
  const gap = a.mean - b.mean;
  const better = o.lowerIsBetter ? gap < 0 : gap > 0;
  const numbers = `${a.mean.toFixed(digits)} vs ${b.mean.toFixed(digits)}, difference ${gap >= 0 ? '+' : ''}${gap.toFixed(digits)}${o.unit ?? ''}`;
  if (a.n < 2 || b.n < 2) return `not tested: ${Math.min(a.n, b.n)} seed on one side (${numbers}; the mean ${better ? 'is' : 'is not'} in the claimed direction)`;
  const c = compareSeeds(a.values, b.values);
  const d = Number.isFinite(c.effect) ? `${c.effect >= 0 ? '+' : ''}${c.effect.toFixed(1)}` : c.effect > 0 ? '+∞' : '−∞';
  const stats = `${numbers} = ${d} pooled sd over ${a.n} and ${b.n} seeds; Welch t = ${Number.isFinite(c.welch.t) ? c.welch.t.toFixed(2) : String(c.welch.t)}, ${formatP(c.welch.p)}; permutation ${formatP(c.permutationP)}`;
  if (c.welch.p < alpha) return `${better ? 'held' : 'did not hold: the opposite held'} (${stats})`;
  // The power calculation can ask for no more seeds than ran (this draw was unlucky): then at least one more.
  const seeds = Math.max(c.seedsNeeded, Math.max(a.n, b.n) + 1);
  const needed = seeds > 200 ? 'no practical number of seeds would resolve a gap this small' : `about ${seeds} seeds per variant would resolve a gap this size`;
  return `not resolved, ${better ? 'in the claimed direction' : 'against the claim'} on the mean (${stats}; ${needed})`;
}

/**
 * The sentence a report prints once above its verdicts, saying how
 * `claimVerdict` decides. `scope` names what the claims are measured on
 * ("on val and on test"); `seeds` is the seed count a side, which bounds the
 * exact permutation p from below at 2 / C(2n, n).
 */
export function verdictMethod(o: { seeds: number; scope?: string; paired?: string }): string {
  let arrangements = 1;
  for (let i = 1; i <= o.seeds; i++) arrangements = (arrangements * (o.seeds + i)) / i;
  const floor = Math.min(1, 2 / arrangements);
  return `Verdicts: Welch's t-test over seeds at α 0.05 (core's report/statistics.ts)${o.scope ? `, ${o.scope}` : ''}; "pooled sd" is the gap in units of the pooled seed standard deviation; the exact permutation p cannot go below ${Number(floor.toPrecision(2))} with ${o.seeds} seed${o.seeds === 1 ? '' : 's'} a side; a claim "not resolved" states roughly how many seeds per variant would resolve a gap of its size (80% power).${o.paired ? ` Claims on the same trained nets (${o.paired}) use the paired t-test over seeds instead, at the same α.` : ''}`;
}

/** reports/<paper>/results.json as a replication wrote it, with one sentence when it is missing or unreadable. */
export async function readResults<R>(reportsDir: string): Promise<R> {
  const file = path.join(reportsDir, 'results.json');
  if (!existsSync(file)) throw new Error(`${file} does not exist: run the replication first (without --report).`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as R;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}).`);
  }
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
