/**
 * Runs every variant x seed of a profile on CamVid: trains from scratch,
 * evaluates val `evaluations` times and keeps the checkpoint with the best
 * global accuracy there (Sec. 4.1), evaluates that one on test once; then
 * measures each decoder's cost at the paper's size (360x480, 64 features):
 * parameters, the bytes it keeps from the encoder, inference time per engine.
 * Finished runs are reused; interrupted ones resume from their checkpoints.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile,
  CAMVID_CLASSES,
  camvid,
  camvidSplit,
  countTrainableParams,
  datasetMedianFrequency,
  engineInfo,
  engineRecord,
  evaluate,
  fileSystem,
  infer,
  labelOverlay,
  loadOnnxRuntime,
  OnnxNetwork,
  packageVersions,
  prepareRunDir,
  slugify,
  subset,
  tf,
  tfl,
  timeTask,
  train,
  writeChart,
  writePng,
  type Dataset,
  type EngineRecord,
  type EvalResult,
  type GridReplication,
  type GridRun,
  type ReplicationOptions,
  readRunResults,
  lossCurve,
  runAll,
} from '@seg/core';
import { decoderStorage, segnetBasic } from '@seg/segnet';
import { TUTORIAL_WEIGHTS, VARIANTS, type Profile, type Variant } from './profiles.js';
import { writeReport } from './report.js';

/** Table 1's measures, as fractions: G (global accuracy), C (class average accuracy), mIoU, BF. */
export interface Scores {
  global: number;
  class_avg: number;
  miou: number;
  bf: number;
}

export interface RunResult {
  variant: string;
  seed: number;
  config: Record<string, unknown>;
  /** The val scores of the kept checkpoint, and at which iteration it was written. */
  val: Scores;
  best_iter: number;
  val_curve: { iter: number; global: number; miou: number }[];
  /** CamVid test, evaluated once, with the kept checkpoint. */
  test: Scores;
  test_per_class_iou: (number | null)[];
  training_seconds: number;
  engine: EngineRecord;
  packages: Record<string, string>;
  loss_curve: { iter: number; loss: number }[];
}

/** One decoder's cost at 360x480 with the paper's 64 features. */
export interface DecoderCost {
  variant: string;
  params: number;
  storage_bytes: number;
  index_bytes: number;
  map_bytes: number;
  /** With the indices packed to 2 bits each (the paper's accounting). */
  packed_bytes: number;
  /** Median inference ms per engine (batch 1), null where not timed. */
  ms: Record<string, number | null>;
}

export interface Balancing {
  computed: number[];
  tutorial: number[];
}

export type ReplicateOptions = ReplicationOptions<Profile>;

const versions = () => packageVersions(['@seg/core', '@seg/segnet', '@tensorflow/tfjs-core', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm'], import.meta.url);

const scores = (e: EvalResult): Scores => ({ global: e.pixel_acc, class_avg: e.mean_acc, miou: e.miou, bf: e.bf ?? 0 });

const firstN = (d: Dataset, n: number, name: string) => subset(d, Array.from({ length: Math.min(n, d.length) }, (_, i) => i), name);

const split = (o: ReplicateOptions, name: 'train' | 'val' | 'test', n: number): Promise<Dataset> => camvidSplit(o.dataDir, name, o.profile.downscale, n);

/** What a run's folder is for: the grid's config of variant `v` at `seed`. */
function runConfig(p: Profile, v: Variant, seed: number) {
  const model = { decoder: v.decoder, classes: CAMVID_CLASSES.length, features: p.features, seed };
  return { profile: p.name, variant: v.name, model, balancing: v.balancing, crop: p.crop, iters: p.iters, evaluations: p.evaluations, batch: p.batch, optimizer: p.optimizer, downscale: p.downscale, seed, trainImages: p.trainImages };
}

/** Table 1's grid: seeds outer, variants inner; the decoders outside the main comparison at `otherSeeds` only. */
export function gridRuns(p: Profile): GridRun[] {
  return p.seeds.flatMap((seed) => VARIANTS.filter((v) => v.main || p.otherSeeds.includes(seed)).map((v) => ({ id: `${slugify(v.name)}-s${seed}`, variant: v.name, seed, config: runConfig(p, v, seed) })));
}

/** Trains one run to the end, evaluating val after each of `evaluations` equal segments; keeps the best global accuracy in RUN/best. */
async function runOne(o: ReplicateOptions, run: GridRun, data: { train: Dataset; val: Dataset; test: Dataset }, log: (s: string) => void): Promise<RunResult> {
  const p = o.profile;
  const v = VARIANTS.find((x) => x.name === run.variant)!;
  const seed = run.seed;
  const config = runConfig(p, v, seed);
  const { model } = config;
  const runDir = path.join(o.runsDir, p.name, run.id);
  await prepareRunDir(runDir, config, log);
  const resultFile = path.join(runDir, 'result.json');
  if (existsSync(resultFile)) {
    log(`${v.name}, seed ${seed}: done earlier (${resultFile})`);
    return JSON.parse(await readFile(resultFile, 'utf8')) as RunResult;
  }
  const net = segnetBasic({ ...model, size: [null, null] });
  const curveFile = path.join(runDir, 'val.json');
  const curve: RunResult['val_curve'] = existsSync(curveFile) ? JSON.parse(await readFile(curveFile, 'utf8')) : [];
  let seconds = 0;
  log(`${v.name}, seed ${seed}: training ${p.iters} iterations, val every ${Math.round(p.iters / p.evaluations)} (${runDir})`);
  for (let k = 1; k <= p.evaluations; k++) {
    const iters = Math.round((p.iters * k) / p.evaluations);
    const r = await train(net, data.train, {
      iters,
      batchSize: p.batch,
      optimizer: p.optimizer,
      // Sec. 3.2: a fixed rate; the tutorial's median-frequency weights, Caffe's normalisation by labelled pixels.
      schedule: 'constant',
      ...(v.balancing === 'median' ? { classWeights: TUTORIAL_WEIGHTS, lossNormalize: 'pixels' as const } : {}),
      augment: { flip: true, crop: p.crop },
      seed,
      runDir,
      checkpointEvery: iters,
      logEvery: Math.max(1, Math.floor(p.iters / 40)),
      quiet: true,
    });
    seconds = r.seconds;
    if (curve.some((c) => c.iter === iters)) continue;
    const e = await evaluate(net, data.val);
    const best = curve.length === 0 || e.pixel_acc > Math.max(...curve.map((c) => c.global));
    if (best) {
      await rm(path.join(runDir, 'best'), { recursive: true, force: true });
      await cp(path.join(runDir, 'checkpoint', 'model'), path.join(runDir, 'best'), { recursive: true });
    }
    curve.push({ iter: iters, global: e.pixel_acc, miou: e.miou });
    await atomicWriteFile(curveFile, JSON.stringify(curve));
    log(`  iteration ${iters}: val G ${(100 * e.pixel_acc).toFixed(1)}, mIoU ${(100 * e.miou).toFixed(1)}${best ? ' (best so far)' : ''}`);
  }
  net.dispose();
  const kept = await tfl.loadLayersModel(fileSystem(path.join(runDir, 'best')));
  const bestIter = curve.reduce((a, c) => (c.global > a.global ? c : a)).iter;
  const val = await evaluate(kept, data.val, { classBoundary: true });
  const test = await evaluate(kept, data.test, { classBoundary: true });
  kept.dispose();
  const result: RunResult = {
    variant: v.name,
    seed,
    config,
    val: scores(val),
    best_iter: bestIter,
    val_curve: curve,
    test: scores(test),
    test_per_class_iou: test.per_class.map((c) => c.iou),
    training_seconds: Number(seconds.toFixed(2)),
    engine: engineRecord(),
    packages: versions(),
    loss_curve: await lossCurve(runDir),
  };
  await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
  return result;
}

/** Table 1's cost columns, measured on the paper's net (64 features) at the profile's timing size (360x480). */
async function decoderCosts(p: Profile, log: (s: string) => void): Promise<DecoderCost[]> {
  const out: DecoderCost[] = [];
  const [h, w] = p.timing.size;
  const x = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  if (p.timing.engines.includes('onnx')) await loadOnnxRuntime();
  for (const v of VARIANTS.filter((v) => v.balancing === 'median')) {
    const net = segnetBasic({ decoder: v.decoder, size: [h, w], features: 64, seed: 1 });
    // FCN-Basic's 1x1 reductions run before the maps are stored: it keeps K channels (the paper's 11).
    const s = decoderStorage(net, x, 'pool4', { encoderSide: (n) => /^score_conv/.test(n) });
    const ms: Record<string, number | null> = {};
    for (const engine of p.timing.engines) {
      if (engine === 'tfjs') {
        ms[engineInfo()?.backend ?? 'tfjs'] = (await timeTask(v.name, () => tf.tidy(() => (net.predict(x) as tf.Tensor).dataSync()), { iterations: p.timing.samples })).p50_ms;
      } else {
        const onnx = new OnnxNetwork(net);
        ms.onnx = (await timeTask(v.name, async () => (await onnx.logits(x)).dispose(), { iterations: p.timing.samples })).p50_ms;
        await onnx.dispose();
      }
    }
    out.push({ variant: v.name, params: countTrainableParams(net), storage_bytes: s.bytes, index_bytes: s.indexBytes, map_bytes: s.mapBytes, packed_bytes: s.packedBytes, ms });
    log(`${v.name}: ${countTrainableParams(net)} params, decoder keeps ${(s.bytes / 2 ** 20).toFixed(2)} MiB, ${Object.entries(ms).map(([e, t]) => `${e} ${t?.toFixed(0)} ms`).join(', ')}`);
    net.dispose();
  }
  x.dispose();
  return out;
}

/**
 * The replication as a grid (core's report/run-grid.ts): each run trains in
 * its own folder; the merge reads every run's result.json in grid order, so
 * one process and many workers over one folder write the same report.
 */
export function plan(o: ReplicateOptions): GridReplication<Replicated> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const runs = gridRuns(p);
  let loaded: Promise<{ train: Dataset; val: Dataset; test: Dataset }> | undefined;
  const data = () => (loaded ??= (async () => ({ train: await split(o, 'train', p.trainImages), val: await split(o, 'val', p.valImages), test: await split(o, 'test', p.testImages) }))());
  return {
    profile: p.name,
    runsDir: path.join(o.runsDir, p.name),
    reportsDir: o.reportsDir,
    runs,
    runOne: async (run) => {
      await runOne(o, run, await data(), log);
    },
    merge: async () => {
      const results = await readRunResults<RunResult>(path.join(o.runsDir, p.name), runs);
      // The weights computed from the full-resolution training label maps, beside the tutorial's (the runs use the tutorial's).
      const balancing: Balancing = { computed: await datasetMedianFrequency(firstN(await camvid(o.dataDir, 'train'), p.trainImages, 'camvid-train')), tutorial: TUTORIAL_WEIGHTS };
      // One test image through each variant's first-seed kept checkpoint.
      await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
      const first = await (await data()).test.get(0);
      await writePng(path.join(o.reportsDir, 'overlays', 'ground-truth.png'), labelOverlay(first, first.mask));
      for (const v of VARIANTS) {
        const best = path.join(o.runsDir, p.name, `${slugify(v.name)}-s${p.seeds[0]}`, 'best');
        const m = await tfl.loadLayersModel(fileSystem(best));
        await writePng(path.join(o.reportsDir, 'overlays', `${slugify(v.name)}.png`), labelOverlay(first, (await infer(m, first)).labels));
        m.dispose();
      }
      // The best SegNet-Basic run by val global accuracy (never by test): its weights are the report's.
      const basic = results.filter((r) => r.variant === 'SegNet-Basic').reduce((a, r) => (r.val.global > a.val.global ? r : a));
      const weightsDir = path.join(o.reportsDir, 'weights', `segnet-basic-${p.name}-s${basic.seed}`);
      await rm(weightsDir, { recursive: true, force: true });
      await cp(path.join(o.runsDir, p.name, `segnet-basic-s${basic.seed}`, 'best'), weightsDir, { recursive: true });
      const costs = await decoderCosts(p, log);
      await atomicWriteFile(
        path.join(o.reportsDir, 'results.json'),
        JSON.stringify({ paper: 'Badrinarayanan, Kendall & Cipolla 2017, SegNet (Table 1)', dataset: `CamVid (SegNet split)${p.downscale > 1 ? `, downscaled x${p.downscale}` : ''}`, profile: p, balancing, weights: path.relative(o.reportsDir, weightsDir), runs: results, costs }, null, 2),
      );
      await writeReport(o.reportsDir, { runs: results, costs, balancing, weights: path.relative(o.reportsDir, weightsDir) }, p, writeChart);
      return { runs: results, costs, balancing };
    },
  };
}

export interface Replicated {
  runs: RunResult[];
  costs: DecoderCost[];
  balancing: Balancing;
}

/** Every run of the grid in this process, then the merge (what a plain `replicate` does). */
export async function replicate(o: ReplicateOptions): Promise<Replicated> {
  return runAll(plan(o));
}
