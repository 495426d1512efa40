/**
 * The one replication runner: a paper's definition (replication/definition.ts)
 * becomes a grid of runs (report/run-grid.ts) whose runs train and score
 * themselves in their own folders, and a merge that writes reports/<paper>/.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWriteFile } from '../io/atomic-write.js';
import { loadCheckpointWeights } from '../train/checkpoint.js';
import { trainOrDiverged } from '../train/train-or-diverged.js';
import { datasetSource } from '../data/catalog.js';
import { writeChart } from '../report/vega.js';
import { lossCurve, runProvenance } from '../report/run-record.js';
import { hasCheckpoint, readRunResults, type GridRun } from '../report/run-grid.js';
import { packageVersions, prepareRunDir, readResults, runAll, runReplication, selectProfile, slugify, type GridReplication } from '../report/experiment.js';
import type { PlannedRun, ProfileLike, ReplicationDefinition, RunResultOf, RunSetup } from './definition.js';

export interface PlanOptions<P> {
  profile: P;
  dataDir: string;
  /** runs/<paper>: one folder per profile under it. */
  runsDir: string;
  reportsDir: string;
  log?: (s: string) => void;
}

/** A run's folder name: "FCN-16s (staged)", seed 2 -> "fcn-16s-staged-s2". */
export const runIdOf = (name: string, seed: number) => `${slugify(name)}-s${seed}`;

/**
 * The package versions that shape a run (its config: the definition's own,
 * weights packages included) and that produced it (its provenance, with the
 * engine packages); each resolved from the definition's package, then core's.
 */
function versions(def: { from: string; packages: string[] }) {
  const read = (names: string[]) => {
    const own = packageVersions(names, def.from);
    const core = packageVersions(names, import.meta.url);
    return Object.fromEntries(names.map((n) => [n, own[n] !== 'unknown' ? own[n]! : core[n]!]));
  };
  const shaping = ['@seg/core', ...def.packages, '@tensorflow/tfjs-core'];
  return { config: read(shaping), provenance: read([...shaping, '@tensorflow/tfjs-backend-wasm']) };
}

/** What a run's config.json records: every setting that shaped it, so a change to any makes the finished run `missing`. */
function recordedConfig<V>(def: ReplicationDefinition<ProfileLike, V, unknown, unknown>, p: ProfileLike, run: PlannedRun<V>, s: RunSetup, packages: Record<string, string>) {
  const source = datasetSource(def.dataset);
  return {
    profile: p.name,
    variant: run.name,
    seed: run.seed,
    from: run.after ? runIdOf(run.after.name, run.after.seed) : null,
    model: s.model,
    // JSON drops what the trainer computes from (U-Net's weight-map function); the variant's fields record those.
    // Whether progress is printed does not shape the run.
    training: JSON.parse(JSON.stringify({ ...s.training, quiet: undefined, log: undefined })) as unknown,
    data: { dataset: def.dataset, source: source?.base ?? null, ...s.data },
    ...(s.extra ?? {}),
    packages,
  };
}

/**
 * The replication of `def` in profile `o.profile`: --list, --shard, --run
 * and --report (core's runReplication) work on it; runAll runs it here.
 */
export async function planReplication<P extends ProfileLike, V, D, M>(def: ReplicationDefinition<P, V, D, M>, o: PlanOptions<P>): Promise<GridReplication<RunResultOf<M>[]>> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const runsDir = path.join(o.runsDir, p.name);
  const data = def.data(p, o.dataDir);
  const planned = def.grid(p);
  const v = versions(def);
  const runDirOf = (name: string, seed: number) => path.join(runsDir, runIdOf(name, seed));
  const setups = await Promise.all(planned.map((r) => def.setup(p, r, data)));
  const configs = planned.map((r, i) => recordedConfig(def as ReplicationDefinition<ProfileLike, V, unknown, unknown>, p, r, setups[i]!, v.config));
  const runs: GridRun[] = planned.map((r, i) => ({ id: runIdOf(r.name, r.seed), variant: r.name, seed: r.seed, config: configs[i], ...(r.after ? { after: runIdOf(r.after.name, r.after.seed) } : {}) }));
  const indexOf = (name: string, seed: number) => {
    const i = planned.findIndex((r) => r.name === name && r.seed === seed);
    if (i < 0) throw new Error(`${def.paper}: no run "${name}", seed ${seed}, in the ${p.name} grid.`);
    return i;
  };
  const trainedNet = async (name: string, seed: number) => {
    const i = indexOf(name, seed);
    const model = def.build(setups[i]!, planned[i]!, true);
    await loadCheckpointWeights(runDirOf(name, seed), model);
    return model;
  };

  const runOne = async (grid: GridRun) => {
    const i = runs.indexOf(grid);
    const run = planned[i]!;
    const setup = setups[i]!;
    const config = configs[i]!;
    const runDir = runDirOf(run.name, run.seed);
    const what = `${run.name}, seed ${run.seed}`;
    await prepareRunDir(runDir, config, log);
    const resultFile = path.join(runDir, 'result.json');
    if (existsSync(resultFile)) {
      log(`${what}: done earlier (${resultFile})`);
      return;
    }
    const trainSet = await def.trainSet(data);
    const model = def.build(setup, run, false);
    // A resumed run loads its own checkpoint instead.
    if (run.after && def.start && !hasCheckpoint(runDir)) {
      const from = await trainedNet(run.after.name, run.after.seed);
      def.start(model, from, run);
      from.dispose();
    }
    log(`${what}: training ${setup.training.iters} iterations${run.after && def.start ? ` from ${run.after.name}` : ''} (${runDir})`);
    try {
      const cfg = { ...setup.training, seed: run.seed, runDir };
      const say = (s: string) => log(`${what}: ${s}`);
      const r = def.train ? await def.train(model, trainSet, cfg, { profile: p, run, data, setup, runDir, log: say }) : await trainOrDiverged(model, trainSet, cfg, say);
      const head = { variant: run.name, ...run.result, seed: run.seed };
      const provenance = runProvenance(v.provenance);
      if (r.diverged) {
        const result = { ...head, config, metrics: def.divergedMetrics ?? {}, diverged: r.diverged, training_seconds: 0, ...provenance, loss_curve: [] };
        await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
        return;
      }
      const s = await def.score(model, run, data, { profile: p, setup, runDir, log, runDirOf });
      const result = { ...head, config: { ...config, ...s.config }, metrics: s.metrics, ...s.extra, training_seconds: Number(r.seconds.toFixed(2)), ...provenance, loss_curve: await lossCurve(runDir) };
      await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
    } finally {
      model.dispose();
    }
  };

  const merge = async () => {
    const results = await readRunResults<RunResultOf<M>>(runsDir, runs);
    await mkdir(o.reportsDir, { recursive: true });
    const extra = await def.merge({ profile: p, data, runs: results, reportsDir: o.reportsDir, trainedNet, runDirOf, log });
    const json = { ...def.header(p), profile: p, ...extra, runs: results };
    await atomicWriteFile(path.join(o.reportsDir, 'results.json'), JSON.stringify(json, null, 2));
    await def.writeReport(o.reportsDir, json, writeChart);
    return results;
  };
  return { profile: p.name, runsDir, reportsDir: o.reportsDir, runs, runOne, merge };
}

/** Every run of the grid in this process, in grid order, then the merge (tests and scripts). */
export async function replicate<P extends ProfileLike, V, D, M>(def: ReplicationDefinition<P, V, D, M>, o: PlanOptions<P>): Promise<RunResultOf<M>[]> {
  return runAll(await planReplication(def, o));
}

/** report.md and charts again from reports/<paper>/results.json (no training). */
export async function rewriteReport<P extends ProfileLike, M>(def: ReplicationDefinition<P, unknown, unknown, M>, reportsDir: string): Promise<void> {
  const r = await readResults<Record<string, unknown> & { profile: P; runs: RunResultOf<M>[] }>(reportsDir);
  await def.writeReport(reportsDir, r, writeChart);
}

/**
 * `pnpm turbo run replicate --filter <paper>`: the profile SEG_PROFILE names
 * (default quick); `-- --list`, `-- --shard K/N`, `-- --run ID`, `-- --report`.
 * The repository's folder (experiments/ and reports/ are under it) is three
 * above the definition's module (experiments/<paper>/src/).
 */
export async function replicationMain<P extends ProfileLike, V, D, M>(def: ReplicationDefinition<P, V, D, M>): Promise<void> {
  await runReplication(
    def.paper,
    fileURLToPath(new URL('../../..', def.from)),
    def.dataset,
    (dirs) => planReplication(def, { profile: selectProfile(def.profiles), ...dirs }),
    (reportsDir) => rewriteReport(def as ReplicationDefinition<P, unknown, unknown, M>, reportsDir),
  );
}
