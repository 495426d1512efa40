/**
 * Runs every variant x seed of a profile (resuming finished or interrupted
 * runs from their run folders), evaluates on the held-out ISBI slices, and
 * writes reports/unet/.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile as atomicWrite,
  boundaryF1,
  ConfusionMatrix,
  infer,
  isbi2012,
  loadCheckpointWeights,
  packageVersions,
  pixelError,
  prepareRunDir,
  slugify,
  type Dataset,
  type GridReplication,
  type GridRun,
  type ReplicationOptions,
  randError,
  train,
  writeChart,
  writePng,
  type InferOptions,
  type Prediction,
  type Sample,
  type EngineRecord,
  readRunResults,
  runProvenance,
  lossCurve,
  runAll,
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

/** What a run's folder is for, and how its net is built and evaluated. */
function runSetup(p: Profile, variant: Variant, seed: number) {
  const crop = p.crop[variant.net];
  // Inference: overlap-tile with one tile covering the 512x512 slice (mirrored borders), or the whole image.
  const tile = tileCovering(512, p.depth);
  const inferOpts: InferOptions = variant.net === 'valid' ? { mode: 'tile', tile: [tile, tile] } : {};
  const config = { profile: p.name, inferenceTile: variant.net === 'valid' ? tile : null, net: variant.net, weightedLoss: variant.weightedLoss, elastic: variant.elastic, baseWidth: p.baseWidth, depth: p.depth, crop, iters: p.iters, optimizer: p.optimizer, seed, trainSlices: p.trainSlices, evalSlices: p.evalSlices };
  const build = () => unet({ padding: variant.net === 'valid' ? 'valid' : 'same', batchNorm: variant.net === 'same-bn', baseWidth: p.baseWidth, depth: p.depth, size: [null, null], seed });
  return { crop, inferOpts, config, build };
}

/** The grid: variants outer, seeds inner. */
export function gridRuns(p: Profile): GridRun[] {
  return VARIANTS.flatMap((v) => p.seeds.map((seed) => ({ id: `${slugify(v.name)}-s${seed}`, variant: v.name, seed, config: runSetup(p, v, seed).config })));
}

/**
 * The replication as a grid (core's report/run-grid.ts): each run trains and
 * scores itself in its own folder; the merge reads every result.json in grid
 * order and draws the overlays from the first seed's checkpoints.
 */
export function plan(o: ReplicateOptions): GridReplication<RunResult[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const runsDir = path.join(o.runsDir, p.name);
  let loaded: Promise<{ trainSet: Dataset; truth: Sample[] }> | undefined;
  const data = () =>
    (loaded ??= (async () => {
      const evalSet = await isbi2012(o.dataDir, 'train', p.evalSlices);
      return { trainSet: await isbi2012(o.dataDir, 'train', p.trainSlices), truth: await Promise.all(Array.from({ length: evalSet.length }, (_, i) => evalSet.get(i))) };
    })());
  const runs = gridRuns(p);
  const runOne = async (run: GridRun) => {
    const variant = VARIANTS.find((v) => v.name === run.variant)!;
    const { seed } = run;
    const runDir = path.join(runsDir, run.id);
    const resultFile = path.join(runDir, 'result.json');
    const { crop, inferOpts, config, build } = runSetup(p, variant, seed);
    // A run folder is reused (finished, or resumed from its checkpoint) only for the same config.
    await prepareRunDir(runDir, config, log);
    if (existsSync(resultFile)) {
      log(`${variant.name}, seed ${seed}: done earlier (${resultFile})`);
      return;
    }
    const { trainSet, truth } = await data();
    const model = build();
    log(`${variant.name}, seed ${seed}: training ${p.iters} iterations (${runDir})`);
    const setup = unetTraining({ weightedLoss: variant.weightedLoss, elastic: variant.elastic, crop: [crop, crop], optimizer: p.optimizer });
    const r = await train(model, trainSet, { ...setup, iters: p.iters, seed, runDir, checkpointEvery: Math.max(1, Math.floor(p.iters / 4)), logEvery: Math.max(1, Math.floor(p.iters / 40)) });
    const preds: Prediction[] = [];
    for (const s of truth) preds.push(await infer(model, s, inferOpts));
    model.dispose();
    const result: RunResult = {
      variant: variant.name,
      seed,
      config,
      metrics: evaluateSlices(preds, truth),
      training_seconds: Number(r.seconds.toFixed(2)),
      ...runProvenance(versions()),
      loss_curve: await lossCurve(runDir),
    };
    await atomicWrite(resultFile, JSON.stringify(result, null, 2));
  };
  const merge = async () => {
    const results = await readRunResults<RunResult>(runsDir, runs);
    const { truth } = await data();
    await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
    await atomicWrite(path.join(o.reportsDir, 'results.json'), JSON.stringify({ paper: 'Ronneberger et al. 2015, U-Net', dataset: 'ISBI 2012 (train slices 00-24 / 25-29)', profile: p, paper_results: PAPER, runs: results }, null, 2));
    // Overlays (first seed, from its checkpoint): every evaluation slice for the paper's set-up, the first slice for the others.
    for (const variant of VARIANTS) {
      const { inferOpts, build } = runSetup(p, variant, p.seeds[0]!);
      const model = build();
      await loadCheckpointWeights(path.join(runsDir, `${slugify(variant.name)}-s${p.seeds[0]}`), model);
      const shown = variant === VARIANTS[0] ? truth.length : 1;
      for (let i = 0; i < shown; i++) await writeOverlay(o.reportsDir, variant.name, (await infer(model, truth[i]!, inferOpts)), truth[i]!);
      model.dispose();
    }
    await writeReport(o.reportsDir, results, p, ABLATIONS, writeChart);
    return results;
  };
  return { profile: p.name, runsDir, reportsDir: o.reportsDir, runs, runOne, merge };
}

/** Membranes predicted: red tint; errors: yellow. */
async function writeOverlay(reportsDir: string, variant: string, pred: Prediction, sample: Sample): Promise<void> {
  const rgb = new Uint8Array(sample.width * sample.height * 3);
  for (let i = 0; i < sample.width * sample.height; i++) {
    const grey = Math.round(sample.image[i]! * 255);
    const wrong = pred.labels[i] !== sample.mask[i];
    rgb[i * 3] = wrong ? 255 : pred.labels[i] === 0 ? Math.min(255, grey + 120) : grey;
    rgb[i * 3 + 1] = wrong ? 220 : grey;
    rgb[i * 3 + 2] = wrong ? 0 : grey;
  }
  await writePng(path.join(reportsDir, 'overlays', `${slugify(variant)}-slice${sample.id}.png`), { width: sample.width, height: sample.height, channels: 3, data: rgb });
}

/** Every run of the grid in this process, then the merge (what a plain `replicate` does). */
export async function replicate(o: ReplicateOptions): Promise<RunResult[]> {
  return runAll(plan(o));
}
