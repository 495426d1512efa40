/**
 * A paper's replication as data: its profiles, its grid of runs, how one run
 * is built, trained and scored, its claims and its report. The one runner
 * (replication/plan.ts) does the rest: run folders and locks, training,
 * scoring, provenance, results.json, the merge and the index page.
 */
import type { tfl } from '../engine/tf.js';
import type { Dataset } from '../data/types.js';
import type { TrainConfig } from '../train/trainer.js';
import type { writeChart } from '../report/vega.js';
import type { RunProvenance } from '../report/run-record.js';
import type { Claim } from './claims.js';

/** What every profile names: smoke (seconds, every code path), quick (the default), full (the paper's schedule). */
export interface ProfileLike {
  name: string;
  seeds: number[];
}

/** One point of the grid, as the paper's definition plans it. */
export interface PlannedRun<V> {
  /** The run's name in logs and --list ("FCN-16s (staged)", "v3+ (ImageNet)"); its folder is `slug(name)-sSEED`. */
  name: string;
  variant: V;
  seed: number;
  /** A run (name and seed) earlier in the grid that must finish first: this one starts from its trained weights (`start`), or reads what it chose (DeepLab's CRF). */
  after?: { name: string; seed: number };
  /** Fields of result.json before `seed` (default { variant: name }): DeepLab's { variant, init }. */
  result?: Record<string, unknown>;
}

/** How one run is set up: everything here is recorded in its config (functions aside), so a change makes the run `missing`. */
export interface RunSetup {
  /** The builder's options. */
  model: Record<string, unknown>;
  /** The trainer's settings, less the run folder and seed: optimiser, schedule, augmentation, loss. */
  training: Omit<TrainConfig, 'runDir' | 'seed'>;
  /** What the run trains and is scored on: split lists or sizes, downscale (the runner adds the dataset and its pinned source). */
  data: Record<string, unknown>;
  /** Anything else that shapes the run (U-Net's inference tile). */
  extra?: Record<string, unknown>;
}

/** A trained run's net, rebuilt from its checkpoint (no ImageNet load). */
export type TrainedNet = (name: string, seed: number) => Promise<tfl.LayersModel>;

/** What a run's own training procedure (the definition's `train`) gets besides the net, its training set and the trainer's config. */
export interface TrainContext<P, V, D> {
  profile: P;
  run: PlannedRun<V>;
  data: D;
  /** The run's setup: what the procedure reads beyond the trainer's config (SegNet's val passes) must come from here, so it is recorded. */
  setup: RunSetup;
  runDir: string;
  log: (s: string) => void;
}

export interface ScoreContext<P> {
  profile: P;
  /** The run's setup (DeepLab rebuilds its net at another output stride from the model's options). */
  setup: RunSetup;
  runDir: string;
  log: (s: string) => void;
  /** The other runs' folders, by id (DeepLab reads the CRF chosen by an earlier run). */
  runDirOf: (name: string, seed: number) => string;
}

/** A run's scores, and what scoring chose that belongs in its config (DeepLab's CRF) or beside its metrics. */
export interface Scored<M> {
  metrics: M;
  config?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** result.json of one run. */
export type RunResultOf<M> = {
  variant: string;
  seed: number;
  config: Record<string, unknown>;
  metrics: M;
  /** Why training stopped early (a non-finite loss): its metrics are empty. */
  diverged?: string;
  training_seconds: number;
  loss_curve: { iter: number; loss: number }[];
} & RunProvenance &
  Record<string, unknown>;

export interface MergeContext<P, D, M> {
  profile: P;
  data: D;
  runs: RunResultOf<M>[];
  reportsDir: string;
  trainedNet: TrainedNet;
  runDirOf: (name: string, seed: number) => string;
  log: (s: string) => void;
}

export interface ReplicationDefinition<P extends ProfileLike, V, D, M> {
  /** The folder name under experiments/ and reports/. */
  paper: string;
  /** The seg data name it trains on. */
  dataset: string;
  /** import.meta.url of the definition: package versions resolve from its package. */
  from: string;
  /** The packages besides @seg/core and tfjs-core that shape a run: the architecture's, the weights'. */
  packages: string[];
  profiles: Record<string, P>;
  /** The datasets of a profile, loaded lazily (--list reads none unless `setup` needs it). */
  data(p: P, dataDir: string): D;
  trainSet(d: D): Promise<Dataset>;
  grid(p: P): PlannedRun<V>[];
  setup(p: P, run: PlannedRun<V>, d: D): RunSetup | Promise<RunSetup>;
  /** The net of a run; `trained` when its weights come from a checkpoint next (skip the ImageNet load). */
  build(setup: RunSetup, run: PlannedRun<V>, trained: boolean): tfl.LayersModel;
  /**
   * How a run trains when not in one go (default: trainOrDiverged over `cfg`, which is setup.training with the
   * run's folder and seed): SegNet trains in segments and scores val between them. A non-finite loss is a result
   * ({ diverged }), as trainOrDiverged returns it.
   */
  train?(model: tfl.LayersModel, trainSet: Dataset, cfg: TrainConfig, ctx: TrainContext<P, V, D>): Promise<{ seconds: number; diverged?: string }>;
  /** A run with `after` starts from that run's trained net (FCN's stages). */
  start?(model: tfl.LayersModel, from: tfl.LayersModel, run: PlannedRun<V>): void;
  score(model: tfl.LayersModel, run: PlannedRun<V>, d: D, ctx: ScoreContext<P>): Promise<Scored<M>>;
  /** The metrics of a diverged run. */
  divergedMetrics?: M;
  /** The claims the report judges: which runs, which metric and split, paired or not. */
  claims: Claim[];
  /** Overlays and anything else the merge draws; returns results.json's fields beside profile and runs. */
  merge(ctx: MergeContext<P, D, M>): Promise<Record<string, unknown>>;
  /** results.json's fields before `profile` (paper, dataset). */
  header(p: P): Record<string, unknown>;
  /** report.md and charts from results.json (also a fresh clone's --report). */
  writeReport(reportsDir: string, results: Record<string, unknown> & { profile: P; runs: RunResultOf<M>[] }, chart: typeof writeChart): Promise<void>;
}
