/**
 * Runs every variant x seed of a profile (resuming finished or interrupted
 * runs from their run folders), evaluates on the held-out ISBI slices, and
 * writes reports/unet/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile as atomicWrite,
  boundaryF1,
  ConfusionMatrix,
  engineInfo,
  infer,
  isbi2012,
  loadCheckpointWeights,
  packageVersions,
  pixelError,
  prepareRunDir,
  readTrainingLog,
  slugify,
  type ReplicationOptions,
  randError,
  train,
  writeChart,
  writePng,
  type InferOptions,
  type Prediction,
  type Sample, engineRecord, type EngineRecord,
} from '@seg/core';
import { tileCovering, unet, unetTraining } from '@seg/unet';
import { ABLATIONS, PAPER, VARIANTS, type Profile, type Variant } from './profiles.js';
import { writeReport } from './report.js';

export interface RunResult {
  variant: string;
  seed: number;
  config: Record<string, unknown>;
  metrics: { pixel_error: number; rand_error: number; miou: number; boundary_f1: number };
  training_seconds: number;
  backend: string;
  /** The engine in full: backend, threads, and TensorFlow's version on tensorflow (runs before it was recorded lack it). */
  engine?: EngineRecord;
  packages: Record<string, string>;
  loss_curve: { iter: number; loss: number }[];
}


const versions = () => packageVersions(['@seg/core', '@seg/unet', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'], import.meta.url);

export type ReplicateOptions = ReplicationOptions<Profile>;

function evaluateSlices(pred: Prediction[], truth: Sample[]) {
  const cm = new ConfusionMatrix(2);
  let pe = 0;
  let re = 0;
  let bf = 0;
  pred.forEach((p, i) => {
    const t = truth[i]!;
    cm.add(t.mask, p.labels);
    pe += pixelError(t.mask, p.labels);
    re += randError(t.mask, p.labels, t.width, t.height);
    bf += boundaryF1(t.mask, p.labels, t.width, t.height, { tolerance: 2 }).f1;
  });
  const n = pred.length;
  return { pixel_error: pe / n, rand_error: re / n, miou: cm.metrics().miou, boundary_f1: bf / n };
}

export async function replicate(o: ReplicateOptions): Promise<RunResult[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const trainSet = await isbi2012(o.dataDir, 'train', p.trainSlices);
  const evalSet = await isbi2012(o.dataDir, 'train', p.evalSlices);
  const truth = await Promise.all(Array.from({ length: evalSet.length }, (_, i) => evalSet.get(i)));
  const results: RunResult[] = [];
  const overlays: { variant: string; pred: Prediction; sample: Sample }[] = [];
  for (const variant of VARIANTS) {
    for (const seed of p.seeds) {
      const runDir = path.join(o.runsDir, p.name, `${slugify(variant.name)}-s${seed}`);
      const resultFile = path.join(runDir, 'result.json');
      const crop = p.crop[variant.net];
      // Inference: overlap-tile with one tile covering the 512x512 slice (mirrored borders), or the whole image.
      const tile = tileCovering(512, p.depth);
      const inferOpts: InferOptions = variant.net === 'valid' ? { mode: 'tile', tile: [tile, tile] } : {};
      const config = { profile: p.name, inferenceTile: variant.net === 'valid' ? tileCovering(512, p.depth) : null, net: variant.net, weightedLoss: variant.weightedLoss, elastic: variant.elastic, baseWidth: p.baseWidth, depth: p.depth, crop, iters: p.iters, optimizer: p.optimizer, seed, trainSlices: p.trainSlices, evalSlices: p.evalSlices };
      const model = unet({ padding: variant.net === 'valid' ? 'valid' : 'same', batchNorm: variant.net === 'same-bn', baseWidth: p.baseWidth, depth: p.depth, size: [null, null], seed });
      // A run folder is reused (finished, or resumed from its checkpoint) only for the same config.
      await prepareRunDir(runDir, config, log);
      const wantsOverlays = seed === p.seeds[0];
      let result: RunResult;
      let preds: Prediction[] | undefined;
      if (existsSync(resultFile)) {
        result = JSON.parse(await readFile(resultFile, 'utf8')) as RunResult;
        log(`${variant.name}, seed ${seed}: done earlier (${resultFile})`);
        // The trained weights are needed only to draw this run's overlays.
        if (wantsOverlays) {
          await loadCheckpointWeights(runDir, model);
        }
      } else {
        log(`${variant.name}, seed ${seed}: training ${p.iters} iterations (${runDir})`);
        const setup = unetTraining({ weightedLoss: variant.weightedLoss, elastic: variant.elastic, crop: [crop, crop], optimizer: p.optimizer });
        const r = await train(model, trainSet, { ...setup, iters: p.iters, seed, runDir, checkpointEvery: Math.max(1, Math.floor(p.iters / 4)), logEvery: Math.max(1, Math.floor(p.iters / 40)) });
        preds = [];
        for (const s of truth) preds.push(await infer(model, s, inferOpts));
        const curve = await readTrainingLog(runDir);
        result = {
          variant: variant.name,
          seed,
          config,
          metrics: evaluateSlices(preds, truth),
          training_seconds: Number(r.seconds.toFixed(2)),
          backend: engineInfo()?.backend ?? 'unknown',
          engine: engineRecord(),
          packages: versions(),
          loss_curve: curve.map(({ iter, loss }) => ({ iter, loss })),
        };
        await atomicWrite(resultFile, JSON.stringify(result, null, 2));
      }
      // Overlays: every evaluation slice for the paper's set-up, the first slice for the others (first seed).
      if (wantsOverlays) {
        const shown = variant === VARIANTS[0] ? truth.length : 1;
        for (let i = 0; i < shown; i++) overlays.push({ variant: variant.name, pred: preds?.[i] ?? (await infer(model, truth[i]!, inferOpts)), sample: truth[i]! });
      }
      model.dispose();
      results.push(result);
    }
  }
  await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
  await atomicWrite(path.join(o.reportsDir, 'results.json'), JSON.stringify({ paper: 'Ronneberger et al. 2015, U-Net', dataset: 'ISBI 2012 (train slices 00-24 / 25-29)', profile: p, paper_results: PAPER, runs: results }, null, 2));
  for (const { variant, pred, sample } of overlays) {
    const rgb = new Uint8Array(sample.width * sample.height * 3);
    for (let i = 0; i < sample.width * sample.height; i++) {
      const grey = Math.round(sample.image[i]! * 255);
      const wrong = pred.labels[i] !== sample.mask[i];
      // membranes predicted: red tint; errors: yellow
      rgb[i * 3] = wrong ? 255 : pred.labels[i] === 0 ? Math.min(255, grey + 120) : grey;
      rgb[i * 3 + 1] = wrong ? 220 : grey;
      rgb[i * 3 + 2] = wrong ? 0 : grey;
    }
    await writePng(path.join(o.reportsDir, 'overlays', `${slugify(variant)}-slice${sample.id}.png`), { width: sample.width, height: sample.height, channels: 3, data: rgb });
  }
  await writeReport(o.reportsDir, results, p, ABLATIONS, writeChart);
  return results;
}
