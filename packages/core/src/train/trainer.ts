/**
 * The training loop: seeded batches (prefetched while the previous step
 * computes), SGD/Adam with a poly or constant schedule, a JSONL log,
 * resumable checkpoints, and a clean stop when the loss stops being finite.
 */
import { appendFile, readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { tf, tfl } from '../engine/tf.js';
import type { Dataset, Sample } from '../data/types.js';
import type { AugmentOptions } from '../data/augment.js';
import { softmaxCrossEntropy } from '../losses/cross-entropy.js';
import { BatchLoader, type Batch } from './batches.js';
import { loadCheckpoint, saveCheckpoint, checkpointDir } from './checkpoint.js';
import { Optimizer, polyLr, type OptimizerConfig } from './optimizer.js';
import { Progress } from './progress.js';
import { trainableVariables } from './step.js';

export interface TrainConfig {
  iters: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  schedule?: 'poly' | 'constant';
  power?: number;
  seed?: number;
  augment?: AugmentOptions;
  /** Loss weight of each extra model output (PSPNet's auxiliary head: [0.4]). */
  auxWeights?: number[];
  classWeights?: number[];
  checkpointEvery?: number;
  logEvery?: number;
  /** Run folder: checkpoint/ and log.jsonl. A run with a checkpoint resumes from it. */
  runDir: string;
  /** Per-sample hook after augmentation. */
  prepare?: (s: Sample) => Sample;
  /** Applied once per training image before augmentation and cached, e.g. U-Net's weight maps. */
  precompute?: (s: Sample) => Sample;
  quiet?: boolean;
}

export interface TrainResult {
  iters: number;
  loss: number;
  seconds: number;
  resumedFrom?: number;
}

export class TrainingDiverged extends Error {}

/** Centre crop of [N, H, W] labels or weights to h x w: valid-convolution nets predict the centre of their input. */
function cropTo<T extends tf.Tensor3D>(t: T, h: number, w: number): T {
  const [n, H, W] = t.shape;
  if (H === h && W === w) return t;
  if (h > H || w > W) throw new Error(`The model outputs ${h}x${w} logits for ${H}x${W} labels.`);
  return tf.slice(t, [0, Math.floor((H - h) / 2), Math.floor((W - w) / 2)], [n, h, w]) as T;
}

function lossOf(outputs: tf.Tensor4D[], batch: Batch, cfg: TrainConfig, ignoreIndex: number): tf.Scalar {
  const ce = (logits: tf.Tensor4D) => {
    const [, h, w] = logits.shape;
    const weights = batch.weights ? cropTo(batch.weights, h, w) : undefined;
    return softmaxCrossEntropy(logits, cropTo(batch.labels, h, w), { ignoreIndex, classWeights: cfg.classWeights, pixelWeights: weights });
  };
  let total = ce(outputs[0]!);
  (cfg.auxWeights ?? []).forEach((w, i) => {
    const aux = outputs[i + 1];
    if (aux) total = tf.add(total, tf.mul(ce(aux), w)) as tf.Scalar;
  });
  return total;
}

export async function train(model: tfl.LayersModel, dataset: Dataset, cfg: TrainConfig): Promise<TrainResult> {
  await mkdir(cfg.runDir, { recursive: true });
  const optimizer = new Optimizer(cfg.optimizer);
  const resumed = await loadCheckpoint(cfg.runDir, model, optimizer);
  let iter = resumed?.iter ?? 0;
  let lastLoss = resumed?.loss ?? NaN;
  let seconds = resumed?.seconds ?? 0;
  const loader = new BatchLoader(dataset, cfg.batchSize, cfg.seed ?? 0, cfg.augment, cfg.prepare, cfg.precompute);
  const vars = trainableVariables(model);
  const log = path.join(cfg.runDir, 'log.jsonl');
  const every = cfg.checkpointEvery ?? 100;
  const logEvery = cfg.logEvery ?? 10;
  const progress = cfg.quiet ? undefined : new Progress(cfg.iters, iter, logEvery);
  // A prefetch may fail while a step runs; mark it handled now and rethrow where it is awaited.
  const prefetch = (i: number) => {
    const p = loader.samples(i);
    p.catch(() => undefined);
    return p;
  };
  let next = iter < cfg.iters ? prefetch(iter) : undefined;
  try {
    while (iter < cfg.iters) {
      const samples = await next!;
      // Decode and augment the next batch while this step computes.
      next = iter + 1 < cfg.iters ? prefetch(iter + 1) : undefined;
      const t0 = performance.now();
      const lr = cfg.schedule === 'constant' ? cfg.optimizer.lr : polyLr(cfg.optimizer.lr, iter, cfg.iters, cfg.power ?? 0.9);
      optimizer.setLearningRate(lr);
      const loss = tf.tidy(() => {
        const batch = BatchLoader.toTensors(samples);
        const { value, grads } = tf.variableGrads(() => {
          const out = model.apply(batch.images, { training: true });
          return lossOf((Array.isArray(out) ? out : [out]) as tf.Tensor4D[], batch, cfg, dataset.ignoreIndex);
        }, vars);
        const v = value.dataSync()[0]!;
        if (Number.isFinite(v)) optimizer.apply(vars, grads);
        return v;
      });
      if (!Number.isFinite(loss)) {
        const kept = resumed || iter >= every ? ` The last good checkpoint is kept in ${checkpointDir(cfg.runDir)}.` : '';
        throw new TrainingDiverged(`Training diverged: the loss became ${loss} at iteration ${iter + 1}; stopped without updating the weights.${kept}`);
      }
      iter++;
      lastLoss = loss;
      seconds += (performance.now() - t0) / 1000;
      progress?.update(iter, loss);
      if (iter % logEvery === 0 || iter === cfg.iters) {
        await appendFile(log, `${JSON.stringify({ iter, loss, lr, seconds: Number(seconds.toFixed(3)) })}\n`);
      }
      if (iter % every === 0 || iter === cfg.iters) await saveCheckpoint(cfg.runDir, model, optimizer, { iter, loss, seconds });
    }
  } finally {
    progress?.end();
    await next?.catch(() => undefined);
    optimizer.dispose();
  }
  return { iters: iter, loss: lastLoss, seconds, ...(resumed ? { resumedFrom: resumed.iter } : {}) };
}

/** A run's training log (log.jsonl): one entry per logged iteration. */
export async function readTrainingLog(runDir: string): Promise<{ iter: number; loss: number; lr: number; seconds: number }[]> {
  const text = await readFile(path.join(runDir, 'log.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { iter: number; loss: number; lr: number; seconds: number });
}
