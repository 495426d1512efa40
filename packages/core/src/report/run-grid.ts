/**
 * A replication's runs as a grid of addressable jobs, so an existing
 * scheduler (a Slurm array, a Kubernetes Indexed Job, a CI matrix) can run
 * them on many machines over one shared runs folder:
 * - `--list` prints one line per run: id, variant, seed, config hash, status;
 * - `--shard K/N` runs the K-th of N deterministic shares (every run in
 *   exactly one), `--run ID` one run;
 * - `--report` merges the finished runs into reports/<paper>/.
 * A run that starts from another (FCN's stages) is in its chain's shard, so
 * no worker waits on another.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors/input-error.js';
import { hostname } from 'node:os';
import { lockHolder, lockRunDir, staleAfterMs, type RunLock } from '../io/run-lock.js';

export interface GridRun {
  /** The run's folder name under runs/<profile>/, unique in the grid: "fcn-16s-staged-s2". */
  id: string;
  variant: string;
  seed: number;
  /** What the run folder's experiment.json holds: a folder for another config is not this run. */
  config: unknown;
  /** The id of the run whose trained weights this one starts from (in the same shard, earlier in the grid). */
  after?: string;
}

export type RunStatus = 'done' | 'partial' | 'missing';

export interface GridArgs {
  list: boolean;
  report: boolean;
  /** 1-based: the K-th of N shares. */
  shard?: { k: number; n: number };
  run?: string[];
}

/** The first 12 hex digits of the SHA-256 of the config's JSON: the same config, the same hash, on every machine. */
export const configHash = (config: unknown) => createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);

export const runDirOf = (runsDir: string, run: GridRun) => path.join(runsDir, run.id);

/** Every run's result.json, in grid order: what a merge reads, the same whichever workers wrote them. */
export async function readRunResults<R>(runsDir: string, runs: GridRun[]): Promise<R[]> {
  return Promise.all(runs.map(async (r) => JSON.parse(await readFile(path.join(runDirOf(runsDir, r), 'result.json'), 'utf8')) as R));
}

/**
 * done: result.json written for this config; partial: trained for this
 * config up to a checkpoint; missing: not started, started for another
 * config, or holding only the experiment.json written before training (a
 * run that failed before its first checkpoint has nothing to resume, and
 * must not stop `--report` from re-rendering a fresh clone's report).
 */
export function runStatus(runsDir: string, run: GridRun): RunStatus {
  const dir = runDirOf(runsDir, run);
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'experiment.json'), 'utf8');
  } catch {
    return 'missing';
  }
  if (text !== JSON.stringify(run.config)) return 'missing';
  if (existsSync(path.join(dir, 'result.json'))) return 'done';
  return hasCheckpoint(dir) ? 'partial' : 'missing';
}

/** A checkpoint, or the copy a run killed while replacing it left aside (train() restores it: io/file-system.ts recoverFolder). */
export function hasCheckpoint(dir: string): boolean {
  return readdirSync(dir).some((f) => f === 'checkpoint' || f.startsWith('checkpoint.old-'));
}

/** Reads --list, --report, --shard K/N (or --shard=K/N) and --run ID (repeatable) from the command line; anything else is one sentence naming it. */
export function parseGridArgs(argv: string[]): GridArgs {
  const out: GridArgs = { list: false, report: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new InputError(`${flag} needs a value (${flag === '--shard' ? 'K/N, e.g. --shard 2/8' : 'a run id from --list'}).`);
      return v;
    };
    if (flag === '--list') out.list = true;
    else if (flag === '--report') out.report = true;
    else if (flag === '--shard') {
      const v = value();
      const m = /^(\d+)\/(\d+)$/.exec(v);
      const k = m ? Number(m[1]) : NaN;
      const n = m ? Number(m[2]) : NaN;
      if (!m || n < 1 || k < 1 || k > n) throw new InputError(`--shard ${v}: expected K/N with 1 <= K <= N (e.g. --shard 2/8; a Slurm array task passes $((SLURM_ARRAY_TASK_ID + 1))/N).`);
      out.shard = { k, n };
    } else if (flag === '--run') (out.run ??= []).push(value());
    else throw new InputError(`unknown argument ${a} (expected --list, --shard K/N, --run ID or --report).`);
  }
  if (out.shard && out.run) throw new InputError('give --shard or --run, not both.');
  if ((out.shard || out.run) && out.report) throw new InputError('--report merges every run; it takes no --shard or --run.');
  if (out.list && (out.shard || out.run || out.report)) throw new InputError('--list prints the whole grid; it takes no other flag.');
  return out;
}

/** The runs grouped into chains (a run with its `after` predecessors), in grid order; a bad `after` is an error of the grid itself. */
function chains(runs: GridRun[]): GridRun[][] {
  const index = new Map(runs.map((r, i) => [r.id, i]));
  if (index.size !== runs.length) throw new Error('The run grid has two runs with one id.');
  const root = runs.map((_, i) => i);
  runs.forEach((r, i) => {
    if (r.after === undefined) return;
    const j = index.get(r.after);
    if (j === undefined || j >= i) throw new Error(`Run ${r.id} starts from ${r.after}, which is not an earlier run of the grid.`);
    root[i] = root[j]!;
  });
  const groups = new Map<number, GridRun[]>();
  runs.forEach((r, i) => {
    const g = groups.get(root[i]!) ?? [];
    g.push(r);
    groups.set(root[i]!, g);
  });
  return [...groups.values()];
}

/**
 * The K-th of N shares. Chains, in grid order, each go to the share with the
 * fewest runs so far (the lowest K on a tie): every run is in exactly one
 * share, the shares are the same on every machine, and a long chain does not
 * pile onto a share that already has one.
 */
export function shardRuns(runs: GridRun[], k: number, n: number): GridRun[] {
  const load = new Array<number>(n).fill(0);
  const share = new Map<string, number>();
  for (const chain of chains(runs)) {
    let least = 0;
    for (let s = 1; s < n; s++) if (load[s]! < load[least]!) least = s;
    load[least]! += chain.length;
    for (const r of chain) share.set(r.id, least);
  }
  return runs.filter((r) => share.get(r.id) === k - 1);
}

/** The runs `args` selects (all without --shard or --run), each with the earlier runs it needs checked. */
export function selectRuns(runs: GridRun[], args: GridArgs, runsDir: string): GridRun[] {
  if (args.shard) return shardRuns(runs, args.shard.k, args.shard.n);
  if (!args.run) return runs;
  const ids = new Set(runs.map((r) => r.id));
  for (const id of args.run) if (!ids.has(id)) throw new InputError(`--run ${id}: no such run in this grid (replicate --list prints the ids).`);
  const chosen = runs.filter((r) => args.run!.includes(r.id));
  for (const r of chosen) {
    if (r.after && !args.run.includes(r.after) && runStatus(runsDir, runs.find((x) => x.id === r.after)!) !== 'done') {
      throw new InputError(`--run ${r.id}: it starts from ${r.after}, which is not done; run that first (or both: --run ${r.after} --run ${r.id}).`);
    }
  }
  return chosen;
}

/** `replicate --list`: a header and one tab-separated line per run. */
export function gridListing(runs: GridRun[], runsDir: string): string {
  const lines = runs.map((r) => [r.id, r.variant, String(r.seed), configHash(r.config), runStatus(runsDir, r), r.after ?? '-'].join('\t'));
  return `${['id', 'variant', 'seed', 'config', 'status', 'starts from'].join('\t')}\n${lines.join('\n')}\n`;
}

const JOB_LOCK = '.job.lock';
const ADVICE = 'each run belongs to one worker: check that no two were given the same --shard or --run';

/**
 * RUN/.job.lock for this worker. A holder on this machine is alive or not
 * (its pid says). A holder on another machine is judged by its heartbeat:
 * a requeued array task may start before its dead predecessor's lock has gone
 * stale, so it waits one stale window (SEG_LOCK_STALE_S) and takes the run
 * over if nobody touched the lock meanwhile; a lock still being touched is a
 * live worker, and this one refuses.
 */
async function lockJob(dir: string, log: (s: string) => void): Promise<RunLock> {
  const first = lockHolder(dir, JOB_LOCK);
  if (first && first.host !== hostname() && Date.now() - first.touched < staleAfterMs()) {
    const wait = staleAfterMs() - (Date.now() - first.touched) + 1000;
    log(`${dir}: locked by process ${first.pid} on ${first.host}; waiting ${Math.ceil(wait / 1000)} s to see whether that worker still runs`);
    await new Promise((r) => setTimeout(r, wait));
  }
  return lockRunDir(dir, { name: JOB_LOCK, advice: ADVICE });
}

/**
 * Runs `selected` in grid order, each under RUN/.job.lock so two workers
 * never run one run (the second refuses with one sentence); a worker that
 * died leaves its lock stale and its checkpoint, which the next one resumes.
 */
export async function runSelected(selected: GridRun[], runsDir: string, runOne: (run: GridRun) => Promise<void>, log: (s: string) => void): Promise<void> {
  for (const run of selected) {
    const dir = runDirOf(runsDir, run);
    await mkdir(dir, { recursive: true });
    const lock = await lockJob(dir, log);
    try {
      await runOne(run);
    } finally {
      lock.release();
    }
    log(`run ${run.id}: ${runStatus(runsDir, run)}`);
  }
}
