/** What a run records and the report reads (its own module: replicate.ts and report.ts both import it). */
import type { EngineRecord } from '@seg/core';
import type { Table } from './profiles.js';

export interface Scores {
  miou: number;
  pixel_acc: number;
  mean_acc: number;
  per_class_iou: (number | null)[];
}

export interface RunResult {
  variant: string;
  table: Table;
  seed: number;
  config: Record<string, unknown>;
  /** Val for every run; test only for the runs of the variant chosen on val (evaluated once). */
  metrics: { val: Scores; test?: Scores } | null;
  /** Set when training diverged (no metrics then). */
  diverged?: string;
  training_seconds: number;
  evaluation_seconds: number;
  backend: string;
  engine: EngineRecord;
  packages: Record<string, string>;
  loss_curve: { iter: number; loss: number }[];
}
