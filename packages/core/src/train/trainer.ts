/**
 * The training loop: seeded batches (prefetched while the previous step
 * computes), SGD/Adam with a poly or constant schedule, a JSONL log,
 * resumable checkpoints, and a clean stop when the loss stops being finite.
 */
import { existsSync } from 'node:fs';
import { appendFile, readFile, readdir, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { tf, tfl } from '../engine/tf.js';
import { asOutOfMemory } from '../engine/out-of-memory.js';
import { InputError, TrainingDiverged } from '../errors/input-error.js';
import { atomicWriteFile } from '../io/atomic-write.js';
import { lockRunDir } from '../io/run-lock.js';
import { writeError } from '../io/write-error.js';
import { setNoiseStep } from '../layers/seeds.js';
import type { Dataset, Sample } from '../data/types.js';
import { labelWarning } from '../data/label-census.js';
import type { AugmentOptions } from '../data/augment.js';
import { softmaxCrossEntropy } from '../losses/cross-entropy.js';
import { withAuxiliary } from '../losses/auxiliary.js';
import { auxiliaryLossWeights } from '../models/auxiliary.js';
import { BatchLoader, type Batch } from './batches.js';
import { loadCheckpoint, recoverCheckpoint, saveCheckpoint, checkpointDir, type TrainState } from './checkpoint.js';
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
  /**
   * Learning-rate multipliers by layer name (a regular expression's source,
   * first match wins), e.g. a pretrained backbone at 0.1 of the head's rate
   * ([{ layers: '^(conv1|res[2-5])', multiplier: 0.1 }]). SGD only: it scales
   * the gradients, which is a per-layer rate for SGD but not for Adam.
   */
  lrMultipliers?: { layers: string; multiplier: number }[];
  /**
   * Loss weight of each auxiliary output by its name (models/auxiliary.ts),
   * e.g. PSPNet's { aux_upsample: 0.4 }: loss = CE(main) + sum of weight x CE(aux).
   * A model with auxiliary outputs needs a weight for each.
   */
  auxiliaryLosses?: Record<string, number>;
  classWeights?: number[];
  /** How weighted losses are averaged: 'weights' (PyTorch) or 'pixels' (Caffe, SegNet). */
  lossNormalize?: 'weights' | 'pixels';
  checkpointEvery?: number;
  logEvery?: number;
  /** Run folder: checkpoint/ and log.jsonl. A run with a checkpoint resumes from it. */
  runDir: string;
  /** Written to RUN/config.json once the folder is locked and its checkpoint (if any) accepted. */
  record?: unknown;
  /** Per-sample hook after augmentation. */
  prepare?: (s: Sample) => Sample;
  /** Applied once per training image before augmentation and cached, e.g. U-Net's weight maps. */
  precompute?: (s: Sample) => Sample;
  quiet?: boolean;
  /** Where the trainer's notes (a resume, a restored checkpoint) go; stderr unless quiet. */
  log?: (line: string) => void;
}

export interface TrainResult {
  iters: number;
  loss: number;
  seconds: number;
  resumedFrom?: number;
}

export { TrainingDiverged };

type AuxiliaryWeight = ReturnType<typeof auxiliaryLossWeights>[number];

/** Centre crop of [N, H, W] labels or weights to h x w: valid-convolution nets predict the centre of their input. */
function cropTo<T extends tf.Tensor3D>(t: T, h: number, w: number): T {
  const [n, H, W] = t.shape;
  if (H === h && W === w) return t;
  if (h > H || w > W) throw new Error(`The model outputs ${h}x${w} logits for ${H}x${W} labels.`);
  return tf.slice(t, [0, Math.floor((H - h) / 2), Math.floor((W - w) / 2)], [n, h, w]) as T;
}

function lossOf(outputs: tf.Tensor4D[], batch: Batch, cfg: TrainConfig, ignoreIndex: number, auxiliary: AuxiliaryWeight[]): tf.Scalar {
  const ce = (logits: tf.Tensor4D) => {
    const [, h, w] = logits.shape;
    const weights = batch.weights ? cropTo(batch.weights, h, w) : undefined;
    return softmaxCrossEntropy(logits, cropTo(batch.labels, h, w), { ignoreIndex, classWeights: cfg.classWeights, pixelWeights: weights, normalize: cfg.lossNormalize });
  };
  const weighted = auxiliary.filter((a) => a.weight > 0).map((a) => ({ loss: ce(outputs[a.index]!), weight: a.weight }));
  return withAuxiliary(ce(outputs[0]!), weighted);
}

/**
 * Trains `model` in `cfg.runDir`, which it locks for the run (a second run
 * on the same folder refuses; a lock left by a killed process is taken over).
 */
export async function train(model: tfl.LayersModel, dataset: Dataset, cfg: TrainConfig): Promise<TrainResult> {
  await mkdir(cfg.runDir, { recursive: true }).catch((err) => {
    throw writeError(err, cfg.runDir);
  });
  const lock = lockRunDir(cfg.runDir);
  try {
    return await trainLocked(model, dataset, cfg);
  } finally {
    setNoiseStep(undefined);
    lock.release();
  }
}

/** Keeps the log entries up to `iter` (a resumed run logs the rest again) and drops a line cut by a kill. */
async function trimLog(file: string, iter: number): Promise<void> {
  // A log that is not a regular file (a pipe, a device) is only appended to.
  if (!existsSync(file) || !(await stat(file)).isFile()) return;
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => {
    try {
      return (JSON.parse(l) as { iter: number }).iter <= iter;
    } catch {
      return false;
    }
  });
  await atomicWriteFile(file, lines.length ? `${lines.join('\n')}\n` : '');
}

/** Removes the files a killed run left half-written at the top of its folder (`*.tmp-<pid>`). */
async function removeTemporaries(runDir: string): Promise<void> {
  for (const f of await readdir(runDir)) if (/\.tmp-\d+/.test(f) && !f.startsWith('checkpoint')) await rm(path.join(runDir, f), { recursive: true, force: true });
}

async function trainLocked(model: tfl.LayersModel, dataset: Dataset, cfg: TrainConfig): Promise<TrainResult> {
  const say = (line: string) => {
    if (cfg.log) cfg.log(line);
    else if (!cfg.quiet) process.stderr.write(`${line}\n`);
  };
  // Every file is checked before the first step: a bad one fails now, not hours in.
  auxiliaryLossWeights(model, cfg.auxiliaryLosses);
  await dataset.check?.();
  // Labels that check out but look wrong for the format (most pixels ignored, a class never seen) warn and train on.
  const census = await dataset.labelCensus?.();
  const warning = census && labelWarning(census, dataset.classNames);
  const recovered = await recoverCheckpoint(cfg.runDir);
  await removeTemporaries(cfg.runDir);
  if (recovered.restored) say(`Restored the checkpoint ${recovered.restored} (an earlier run was killed while replacing it).`);
  const optimizer = new Optimizer(cfg.optimizer);
  try {
    const resumed = await loadCheckpoint(cfg.runDir, model, optimizer);
    // said once training is sure to start: a refused resume stays one sentence
    if (warning) say(`Warning: ${warning}`);
    if (cfg.record !== undefined) await atomicWriteFile(path.join(cfg.runDir, 'config.json'), JSON.stringify(cfg.record, null, 2));
    const log = path.join(cfg.runDir, 'log.jsonl');
    await trimLog(log, resumed?.iter ?? 0);
    if (resumed) say(`Resuming from the checkpoint at iteration ${resumed.iter} of ${cfg.iters} in ${checkpointDir(cfg.runDir)}.`);
    return await loop(model, dataset, cfg, optimizer, resumed, log);
  } finally {
    optimizer.dispose();
  }
}

async function loop(model: tfl.LayersModel, dataset: Dataset, cfg: TrainConfig, optimizer: Optimizer, resumed: TrainState | undefined, log: string): Promise<TrainResult> {
  let iter = resumed?.iter ?? 0;
  let lastLoss = resumed?.loss ?? NaN;
  let seconds = resumed?.seconds ?? 0;
  let lastSaved = resumed?.iter;
  const seed = cfg.seed ?? 0;
  const loader = new BatchLoader(dataset, cfg.batchSize, seed, cfg.augment, cfg.prepare, cfg.precompute);
  const vars = trainableVariables(model);
  const multipliers = variableMultipliers(model, cfg);
  const auxiliary = auxiliaryLossWeights(model, cfg.auxiliaryLosses);
  const every = cfg.checkpointEvery ?? 100;
  const logEvery = cfg.logEvery ?? 10;
  const progress = cfg.quiet ? undefined : new Progress(cfg.iters, iter, logEvery);
  const kept = () =>
    lastSaved !== undefined
      ? ` The last good checkpoint (iteration ${lastSaved}) is kept in ${checkpointDir(cfg.runDir)}.`
      : ' No checkpoint was written (none had finite weights).';
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
      setNoiseStep(seed, iter);
      let loss: number;
      try {
        const { value, grads } = tf.tidy(() => {
          const batch = BatchLoader.toTensors(samples);
          return tf.variableGrads(() => {
            const out = model.apply(batch.images, { training: true });
            return lossOf((Array.isArray(out) ? out : [out]) as tf.Tensor4D[], batch, cfg, dataset.ignoreIndex, auxiliary);
          }, vars);
        });
        // Read asynchronously: a GPU engine (webgpu) cannot read back synchronously in Node.
        try {
          loss = (await value.data())[0]!;
          if (Number.isFinite(loss)) tf.tidy(() => optimizer.apply(vars, grads, multipliers));
        } finally {
          tf.dispose([value, ...Object.values(grads)]);
        }
      } catch (err) {
        const s = samples[0];
        const what = `a training step on a batch of ${samples.length} ${s ? `${s.height}x${s.width} ` : ''}crops`;
        throw asOutOfMemory(err, what, 'use a smaller --size or --batch');
      }
      if (!Number.isFinite(loss)) {
        throw new TrainingDiverged(`Training diverged: the loss became ${loss} at iteration ${iter + 1}; stopped without updating the weights.${kept()}`);
      }
      iter++;
      lastLoss = loss;
      seconds += (performance.now() - t0) / 1000;
      progress?.update(iter, loss);
      if (iter % logEvery === 0 || iter === cfg.iters) {
        const line = `${JSON.stringify({ iter, loss, lr, seconds: Number(seconds.toFixed(3)) })}\n`;
        await appendFile(log, line).catch((err) => {
          throw writeError(err, log);
        });
      }
      if (iter % every === 0 || iter === cfg.iters) {
        try {
          await saveCheckpoint(cfg.runDir, model, optimizer, { iter, loss, seconds });
        } catch (err) {
          if (err instanceof TrainingDiverged) throw new TrainingDiverged(`Training diverged: ${err.message}.${kept()}`);
          throw err;
        }
        lastSaved = iter;
      }
    }
  } finally {
    progress?.end();
    await next?.catch(() => undefined);
  }
  return { iters: iter, loss: lastLoss, seconds, ...(resumed ? { resumedFrom: resumed.iter } : {}) };
}

/** Variable name -> learning-rate multiplier (1 is left out) from cfg.lrMultipliers. */
function variableMultipliers(model: tfl.LayersModel, cfg: TrainConfig): Map<string, number> {
  const out = new Map<string, number>();
  const rules = cfg.lrMultipliers ?? [];
  if (rules.length === 0) return out;
  if (cfg.optimizer.name !== 'sgd') throw new InputError(`Learning-rate multipliers need SGD (they scale gradients, which Adam undoes); the optimizer is ${cfg.optimizer.name}.`);
  const patterns = rules.map((r) => ({ re: new RegExp(r.layers), m: r.multiplier }));
  for (const layer of model.layers) {
    const m = patterns.find((p) => p.re.test(layer.name))?.m ?? 1;
    if (m !== 1) for (const w of layer.trainableWeights) out.set((w.read() as tf.Variable).name, m);
  }
  return out;
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
