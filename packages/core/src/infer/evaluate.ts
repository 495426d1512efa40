/** Evaluation of a model over a dataset: one confusion matrix, the standard metrics. */
import type { tfl } from '../engine/tf.js';
import type { Dataset, Sample } from '../data/types.js';
import { ConfusionMatrix } from '../metrics/confusion.js';
import { boundaryF1, classBoundaryF1 } from '../metrics/boundary.js';
import { InputError } from '../errors/input-error.js';
import { inferBatch, type InferOptions, type Network, type Prediction } from './predict.js';
import { TaskProgress, type TaskProgressOptions } from '../io/task-progress.js';

export interface EvalResult {
  miou: number;
  pixel_acc: number;
  mean_acc: number;
  fw_iou: number;
  per_class: { name: string; iou: number | null; acc: number | null }[];
  images: number;
  /** Mean per-image boundary F1, when `boundaryTolerance` was given. */
  boundary_f1?: number;
  /** SegNet's BF (per-class boundary F1, tolerance 0.75% of the diagonal, mean over images), when `classBoundary` was set. */
  bf?: number;
}

export type EvalOptions = InferOptions & {
  onPrediction?: (p: Prediction, index: number) => void | Promise<void>;
  /** Post-processing of each prediction before it is scored, e.g. a dense CRF. */
  refine?: (p: Prediction, sample: Sample) => Prediction | Promise<Prediction>;
  /** Also score boundaries (boundary F1 with this tolerance in pixels). */
  boundaryTolerance?: number;
  /** Also score SegNet's per-class BF (metrics/boundary.ts classBoundaryF1). */
  classBoundary?: boolean;
  /** Images per forward pass where they share a size (whole-image inference without test-time scales or flips); default 1. */
  batchSize?: number;
  /** Progress per image on stderr (io/task-progress.ts), or with these options (a label, a test's writer). */
  progress?: boolean | (TaskProgressOptions & { label?: string });
};

export async function evaluate(
  /** The tfjs model, or a Network running it on another engine. */
  model: tfl.LayersModel | Network,
  dataset: Dataset,
  o: EvalOptions = {},
): Promise<EvalResult> {
  if (dataset.length === 0) throw new InputError(`Dataset ${dataset.name} holds no samples to evaluate.`);
  // Every file is checked before the first image is run: a bad one fails now, not hours in.
  await dataset.check?.();
  const p = o.progress === true ? {} : o.progress || undefined;
  const progress = p ? new TaskProgress(p.label ?? `seg eval ${dataset.name}`, dataset.length, { noun: 'images', ...p }) : undefined;
  try {
    return await evaluateAll(model, dataset, o, progress);
  } finally {
    progress?.end();
  }
}

async function evaluateAll(model: tfl.LayersModel | Network, dataset: Dataset, o: EvalOptions, progress: TaskProgress | undefined): Promise<EvalResult> {
  const cm = new ConfusionMatrix(dataset.numClasses, dataset.ignoreIndex);
  let boundary = 0;
  let bfSum = 0;
  let bfImages = 0;
  const batchSize = Math.max(1, o.batchSize ?? 1);
  let batch: { sample: Sample; raw: Prediction }[] = [];
  for (let i = 0; i < dataset.length; i++) {
    if (batch.length === 0) {
      const samples = [];
      for (let j = i; j < Math.min(i + batchSize, dataset.length); j++) samples.push(await dataset.get(j));
      const raws = await inferBatch(model, samples, o);
      batch = samples.map((sample, j) => ({ sample, raw: raws[j]! }));
    }
    const { sample, raw } = batch.shift()!;
    const p = o.refine ? await o.refine(raw, sample) : raw;
    if (p.classes !== dataset.numClasses) {
      throw new InputError(`The model predicts ${p.classes} classes but dataset ${dataset.name} has ${dataset.numClasses}.`);
    }
    cm.add(sample.mask, p.labels);
    if (o.boundaryTolerance !== undefined) {
      boundary += boundaryF1(sample.mask, p.labels, sample.width, sample.height, { tolerance: o.boundaryTolerance, ignoreIndex: dataset.ignoreIndex, numClasses: dataset.numClasses }).f1;
    }
    if (o.classBoundary) {
      const bf = classBoundaryF1(sample.mask, p.labels, sample.width, sample.height, { numClasses: dataset.numClasses }).f1;
      if (bf !== null) {
        bfSum += bf;
        bfImages++;
      }
    }
    await o.onPrediction?.(p, i);
    progress?.update(i + 1);
  }
  const m = cm.metrics();
  return {
    miou: m.miou,
    pixel_acc: m.pixelAcc,
    mean_acc: m.meanAcc,
    fw_iou: m.fwIou,
    per_class: dataset.classNames.map((name, k) => ({ name, iou: m.perClassIou[k] ?? null, acc: m.perClassAcc[k] ?? null })),
    images: dataset.length,
    ...(o.boundaryTolerance !== undefined ? { boundary_f1: dataset.length ? boundary / dataset.length : 0 } : {}),
    ...(o.classBoundary ? { bf: bfImages ? bfSum / bfImages : 0 } : {}),
  };
}
