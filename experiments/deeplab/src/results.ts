/** What a run records and the report reads (its own module: replicate.ts and report.ts both import it). */
import type { EngineRecord } from '@seg/core';
import type { CrfParams } from '@seg/crf';
import type { Init } from './profiles.js';

export interface Scores {
  miou: number;
  pixel_acc: number;
  mean_acc: number;
  boundary_f1: number;
}

export interface RunResult {
  variant: string;
  init: Init;
  seed: number;
  config: Record<string, unknown>;
  /** Per split, keyed by evaluation: "os16", "os8", "crf". */
  metrics: { val: Record<string, Scores>; test: Record<string, Scores> };
  /** Set when training diverged (no metrics then). */
  diverged?: string;
  training_seconds: number;
  backend: string;
  engine: EngineRecord;
  packages: Record<string, string>;
  loss_curve: { iter: number; loss: number }[];
}

/** The CRF setting chosen on val for the runs of one start (ImageNet or scratch). */
export interface CrfChoice {
  chosenWith: string;
  best: CrfParams;
  withoutCrf: number;
  grid: { weight: unknown; thetaAlpha: number; thetaBeta: number; miou: number }[];
}
