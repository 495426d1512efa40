/**
 * Runs every variant x seed of a profile on downscaled CamVid (resuming
 * finished or interrupted runs), chooses the CRF's parameters on the
 * held-out tail of the train split, evaluates on val (before/after CRF for
 * the v2 heads, at output strides 16 and 8 for v3), and writes reports/deeplab/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile,
  camvid,
  downscaled,
  engineInfo,
  evaluate,
  infer,
  labelOverlay,
  loadCheckpointWeights,
  packageVersions,
  prepareRunDir,
  readTrainingLog,
  slugify,
  type ReplicationOptions,
  subset,
  toByteRange,
  train,
  writeChart,
  writePng,
  type Dataset,
  type Prediction,
  type Sample,
  type tfl, engineRecord, type EngineRecord,
} from '@seg/core';
import { refinePrediction, type CrfParams } from '@seg/crf';
import { deeplab, withOutputStride, type DeepLabOptions } from '@seg/deeplab';
import { VARIANTS, type Profile, type Variant } from './profiles.js';
import { writeReport } from './report.js';

export interface Scores {
  miou: number;
  pixel_acc: number;
  mean_acc: number;
  boundary_f1: number;
}

export interface RunResult {
  variant: string;
  seed: number;
  config: Record<string, unknown>;
  /** Keyed by evaluation: "os16", "os8", "crf". */
  metrics: Record<string, Scores>;
  training_seconds: number;
  backend: string;
  /** The engine in full: backend, threads, and TensorFlow's version on tensorflow (runs before it was recorded lack it). */
  engine?: EngineRecord;
  packages: Record<string, string>;
  loss_curve: { iter: number; loss: number }[];
}

export type ReplicateOptions = ReplicationOptions<Profile>;

const versions = () => packageVersions(['@seg/core', '@seg/crf', '@seg/deeplab', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'], import.meta.url);

/** Scores of a model (optionally refined by the CRF) on a dataset. */
async function score(model: tfl.LayersModel, dataset: Dataset, crf?: CrfParams): Promise<Scores> {
  const refine = crf ? (p: Prediction, s: Sample) => refinePrediction(p, toByteRange(s.image), 3, crf) : undefined;
  const e = await evaluate(model, dataset, { boundaryTolerance: 1, ...(refine ? { refine } : {}) });
  return { miou: e.miou, pixel_acc: e.pixel_acc, mean_acc: e.mean_acc, boundary_f1: e.boundary_f1! };
}

/** The CRF grid's best setting by mIoU on the CRF-tuning images (never val). */
async function chooseCrf(model: tfl.LayersModel, samples: Dataset, p: Profile, log: (s: string) => void) {
  const tried: { params: CrfParams; miou: number }[] = [];
  for (const weight of p.crfGrid.weight) {
    for (const thetaAlpha of p.crfGrid.thetaAlpha) {
      for (const thetaBeta of p.crfGrid.thetaBeta) {
        const params: CrfParams = { iterations: 10, bilateral: { weight, thetaAlpha, thetaBeta }, gaussian: { weight: 3, theta: 1 } };
        tried.push({ params, miou: (await score(model, samples, params)).miou });
      }
    }
  }
  const none = (await score(model, samples)).miou;
  const best = tried.reduce((a, b) => (b.miou > a.miou ? b : a));
  log(`CRF chosen on ${samples.length} held-out training images: ${JSON.stringify(best.params.bilateral)} (mIoU ${none.toFixed(4)} -> ${best.miou.toFixed(4)})`);
  return { best: best.params, withoutCrf: none, grid: tried.map((t) => ({ ...t.params.bilateral, miou: t.miou })) };
}

export async function replicate(o: ReplicateOptions): Promise<RunResult[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const trainSplit = downscaled(await camvid(o.dataDir, 'train'), p.downscale);
  const valSplit = downscaled(await camvid(o.dataDir, 'val'), p.downscale);
  const n = trainSplit.length;
  if (p.trainImages + p.crfImages > n) throw new Error(`The ${p.name} profile wants ${p.trainImages} + ${p.crfImages} training images; CamVid train has ${n}.`);
  const trainSet = subset(trainSplit, Array.from({ length: p.trainImages }, (_, i) => i), 'camvid-train');
  const crfSet = subset(trainSplit, Array.from({ length: p.crfImages }, (_, i) => n - p.crfImages + i), 'camvid-train-tail');
  const val = subset(valSplit, Array.from({ length: Math.min(p.valImages, valSplit.length) }, (_, i) => i), 'camvid-val');
  const firstVal = await val.get(0);
  const classes = trainSplit.numClasses;

  const results: RunResult[] = [];
  let crfChoice: Awaited<ReturnType<typeof chooseCrf>> | undefined;
  const overlays: { name: string; labels: Uint8Array }[] = [];
  for (const variant of VARIANTS) {
    for (const seed of p.seeds) {
      const runDir = path.join(o.runsDir, p.name, `${slugify(variant.name)}-s${seed}`);
      const modelOptions: DeepLabOptions = { ...variant.model, classes, width: p.width, size: [null, null], seed };
      const config = { profile: p.name, variant: variant.name, model: modelOptions, crop: p.crop, iters: p.iters, batch: p.batch, optimizer: p.optimizer, downscale: p.downscale, seed, trainImages: p.trainImages };
      await prepareRunDir(runDir, config, log);
      const model = deeplab(modelOptions);
      const resultFile = path.join(runDir, 'result.json');
      let result: RunResult | undefined = existsSync(resultFile) ? (JSON.parse(await readFile(resultFile, 'utf8')) as RunResult) : undefined;
      const first = seed === p.seeds[0];
      // The trained weights are needed to evaluate, to tune the CRF (first LargeFOV run) or to draw overlays (first seed).
      if (result && (first || (variant.crf && !crfChoice))) {
        await loadCheckpointWeights(runDir, model);
      }
      let seconds = result?.training_seconds ?? 0;
      if (!result) {
        log(`${variant.name}, seed ${seed}: training ${p.iters} iterations (${runDir})`);
        const r = await train(model, trainSet, {
          iters: p.iters,
          batchSize: p.batch,
          optimizer: p.optimizer,
          augment: { flip: true, scale: [0.75, 1.25], crop: p.crop },
          seed,
          runDir,
          checkpointEvery: Math.max(1, Math.floor(p.iters / 4)),
          logEvery: Math.max(1, Math.floor(p.iters / 30)),
        });
        seconds = r.seconds;
      } else log(`${variant.name}, seed ${seed}: done earlier (${resultFile})`);
      if (variant.crf && !crfChoice) crfChoice = await chooseCrf(model, crfSet, p, log);
      if (!result) {
        const metrics: Record<string, Scores> = {};
        for (const os of variant.evalStrides ?? [8]) {
          const m = os === (variant.model.outputStride ?? 8) ? model : withOutputStride(model, modelOptions, os);
          metrics[`os${os}`] = await score(m, val);
          if (m !== model) m.dispose();
        }
        if (variant.crf) metrics.crf = await score(model, val, crfChoice!.best);
        const curve = await readTrainingLog(runDir);
        result = {
          variant: variant.name,
          seed,
          config: { ...config, ...(variant.crf ? { crf: crfChoice!.best } : {}) },
          metrics,
          training_seconds: Number(seconds.toFixed(2)),
          backend: engineInfo()?.backend ?? 'unknown',
          engine: engineRecord(),
          packages: versions(),
          loss_curve: curve.map(({ iter, loss }) => ({ iter, loss })),
        };
        await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
      }
      if (first) {
        // The first val image, for side-by-side overlays (with and without CRF for the v2 heads).
        const pred = await infer(model, firstVal);
        overlays.push({ name: variant.name, labels: pred.labels });
        if (variant.crf) {
          overlays.push({ name: `${variant.name} + CRF`, labels: refinePrediction(pred, toByteRange(firstVal.image), 3, crfChoice!.best).labels });
        }
      }
      model.dispose();
      results.push(result);
    }
  }
  await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
  for (const { name, labels } of overlays) await writePng(path.join(o.reportsDir, 'overlays', `${slugify(name)}.png`), labelOverlay(firstVal, labels));
  await writePng(path.join(o.reportsDir, 'overlays', 'ground-truth.png'), labelOverlay(firstVal, firstVal.mask));
  await atomicWriteFile(
    path.join(o.reportsDir, 'results.json'),
    JSON.stringify({ papers: 'Chen et al. DeepLab v1 (2015), v2 (2017), v3 (2017), v3+ (2018)', dataset: `CamVid (SegNet split), downscaled x${p.downscale}`, profile: p, crf: crfChoice ?? null, runs: results }, null, 2),
  );
  await writeReport(o.reportsDir, results, p, crfChoice, writeChart);
  return results;
}

export type { Variant };
