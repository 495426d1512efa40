/**
 * Runs every variant x seed of a profile on downscaled CamVid (resuming
 * finished or interrupted runs) and evaluates each on val with its last
 * checkpoint; then chooses the variant with the best mean val mIoU and
 * evaluates its runs on test, once; writes reports/pspnet/.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile,
  camvidSplit,
  CAFFE_RESNET_LAYERS,
  datasetMedianFrequency,
  evaluate,
  infer,
  labelOverlay,
  loadCheckpointWeights,
  packageVersions,
  prepareRunDir,
  profileTraining,
  slugify,
  train,
  writeChart,
  writePng,
  type Dataset,
  type GridReplication,
  type GridRun,
  type ReplicationOptions,
  type tfl,
  readRunResults,
  trainOrDiverged,
  runProvenance,
  lossCurve,
  runAll,
} from '@seg/core';
import { AUX_OUTPUT, pspnet, type PSPNetOptions } from '@seg/pspnet';
import { seedsOf, VARIANTS, type Profile, type Variant } from './profiles.js';
import { writeReport } from './report.js';
import type { RunResult, Scores } from './results.js';

export type { RunResult, Scores };
export type ReplicateOptions = ReplicationOptions<Profile>;

const versions = () => packageVersions(['@seg/core', '@seg/pspnet', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'], import.meta.url);

async function score(model: tfl.LayersModel, dataset: Dataset): Promise<Scores> {
  const e = await evaluate(model, dataset, { batchSize: 8 });
  return { miou: e.miou, pixel_acc: e.pixel_acc, mean_acc: e.mean_acc, per_class_iou: e.per_class.map((c) => c.iou) };
}

/** The variant with the best mean val mIoU over its seeds (diverged runs left out). */
export function chooseOnVal(results: RunResult[]): string | undefined {
  const mean = (name: string) => {
    const v = results.filter((r) => r.variant === name && r.metrics).map((r) => r.metrics!.val.miou);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : -Infinity;
  };
  const names = [...new Set(results.filter((r) => r.metrics).map((r) => r.variant))];
  return names.length ? names.reduce((a, b) => (mean(b) > mean(a) ? b : a)) : undefined;
}

/** The model options of one run. */
export function runOptions(variant: Variant, p: Profile, classes: number, seed: number): PSPNetOptions {
  const imagenet = p.init === 'imagenet';
  return {
    ...variant.model,
    auxiliary: variant.alpha !== null,
    outputStride: p.outputStride,
    classes,
    width: p.width,
    size: [null, null],
    seed,
    pretrained: imagenet ? 'imagenet' : null,
    backboneLayout: 'caffe',
    frozenBatchNorm: imagenet,
  };
}

/** What a run's folder is for: everything that decides its result. */
function runSetup(p: Profile, variant: Variant, seed: number, classes: number, classWeights: number[] | undefined, trainImages: number) {
  const modelOptions = runOptions(variant, p, classes, seed);
  const lrMultipliers = p.backboneLr !== 1 ? [{ layers: CAFFE_RESNET_LAYERS, multiplier: p.backboneLr }] : [];
  const auxiliaryLosses: Record<string, number> = variant.alpha !== null ? { [AUX_OUTPUT]: variant.alpha } : {};
  const augment = { flip: true, scale: p.scale, crop: p.crop };
  const config = { profile: p.name, variant: variant.name, table: variant.table, model: modelOptions, auxiliaryLosses, crop: p.crop, augment, iters: p.iters, batch: p.batch, optimizer: p.optimizer, lrMultipliers, classWeights: classWeights ?? null, downscale: p.downscale, seed, trainImages };
  return { modelOptions, lrMultipliers, auxiliaryLosses, augment, config };
}

/**
 * The replication as a grid (core's report/run-grid.ts): variants outer,
 * seeds inner; each run trains and scores val in its own folder. The merge
 * chooses the variant on val, evaluates its runs on test once, draws the
 * overlays from the first seeds' checkpoints and writes the report. The
 * configs hold the median-frequency weights, so the plan reads the training
 * labels (no engine).
 */
export async function plan(o: ReplicateOptions): Promise<GridReplication<RunResult[]>> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const runsDir = path.join(o.runsDir, p.name);
  const trainSet = await camvidSplit(o.dataDir, 'train', p.downscale, p.trainImages);
  const classes = trainSet.numClasses;
  const classWeights = p.classWeights === 'median' ? (await datasetMedianFrequency(trainSet)).map((w) => Number(w.toFixed(6))) : undefined;
  const setup = (variant: Variant, seed: number) => runSetup(p, variant, seed, classes, classWeights, trainSet.length);
  const runs: GridRun[] = VARIANTS.flatMap((v) => seedsOf(v, p).map((seed) => ({ id: `${slugify(v.name)}-s${seed}`, variant: v.name, seed, config: setup(v, seed).config })));
  let loaded: Promise<{ val: Dataset; test: Dataset }> | undefined;
  const evalSets = () => (loaded ??= (async () => ({ val: await camvidSplit(o.dataDir, 'val', p.downscale, p.valImages), test: await camvidSplit(o.dataDir, 'test', p.downscale, p.testImages) }))());
  /** A finished run's net: the weights from its checkpoint, no ImageNet load. */
  const trainedNet = async (variant: Variant, seed: number) => {
    const model = pspnet({ ...runOptions(variant, p, classes, seed), pretrained: null });
    await loadCheckpointWeights(path.join(runsDir, `${slugify(variant.name)}-s${seed}`), model);
    return model;
  };
  const runOne = async (run: GridRun) => {
    const variant = VARIANTS.find((v) => v.name === run.variant)!;
    const { seed } = run;
    const runDir = path.join(runsDir, run.id);
    const { modelOptions, lrMultipliers, auxiliaryLosses, augment, config } = setup(variant, seed);
    await prepareRunDir(runDir, config, log);
    const resultFile = path.join(runDir, 'result.json');
    if (existsSync(resultFile)) {
      log(`${variant.name}, seed ${seed}: done earlier (${resultFile})`);
      return;
    }
    const { val } = await evalSets();
    const model = pspnet(modelOptions);
    log(`${variant.name}, seed ${seed}: training ${p.iters} iterations (${runDir})`);
    const r = await trainOrDiverged(
      model,
      trainSet,
      {
        ...profileTraining(p, runDir, seed),
        lrMultipliers,
        auxiliaryLosses,
        ...(classWeights ? { classWeights } : {}),
        augment,
      },
      (s) => log(`${variant.name}, seed ${seed}: ${s}`),
    );
    const t0 = performance.now();
    const metrics = r.diverged ? null : { val: await score(model, val) };
    model.dispose();
    const result: RunResult = {
      variant: variant.name,
      table: variant.table,
      seed,
      config,
      metrics,
      ...(r.diverged ? { diverged: r.diverged } : {}),
      training_seconds: Number(r.seconds.toFixed(2)),
      evaluation_seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
      ...runProvenance(versions()),
      loss_curve: r.diverged ? [] : await lossCurve(runDir),
    };
    await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
    if (metrics) log(`${variant.name}, seed ${seed}: val mIoU ${(100 * metrics.val.miou).toFixed(2)} (${result.training_seconds} s training, ${result.evaluation_seconds} s evaluation)`);
  };
  const merge = async () => {
    const results = await readRunResults<RunResult>(runsDir, runs);
    const { val, test } = await evalSets();
    // The protocol: the variant is chosen on val; its runs are evaluated on test once (the score is kept in the run's result.json).
    const chosen = chooseOnVal(results);
    for (const r of results.filter((x) => x.variant === chosen && x.metrics && !x.metrics.test)) {
      const model = await trainedNet(VARIANTS.find((v) => v.name === r.variant)!, r.seed);
      const t0 = performance.now();
      r.metrics!.test = await score(model, test);
      r.evaluation_seconds = Number((r.evaluation_seconds + (performance.now() - t0) / 1000).toFixed(2));
      model.dispose();
      await atomicWriteFile(path.join(runsDir, `${slugify(r.variant)}-s${r.seed}`, 'result.json'), JSON.stringify(r, null, 2));
      log(`${r.variant}, seed ${r.seed} (chosen on val): test mIoU ${(100 * r.metrics!.test.miou).toFixed(2)}`);
    }
    // Each variant's first seed on the first val image.
    const firstVal = await val.get(0);
    await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
    for (const variant of VARIANTS) {
      const first = results.find((r) => r.variant === variant.name && r.seed === seedsOf(variant, p)[0]);
      if (!first || first.diverged) continue;
      const model = await trainedNet(variant, first.seed);
      await writePng(path.join(o.reportsDir, 'overlays', `${slugify(variant.name)}.png`), labelOverlay(firstVal, (await infer(model, firstVal)).labels));
      model.dispose();
    }
    await writePng(path.join(o.reportsDir, 'overlays', 'ground-truth.png'), labelOverlay(firstVal, firstVal.mask));
    await atomicWriteFile(
      path.join(o.reportsDir, 'results.json'),
      JSON.stringify({ paper: 'Zhao et al., Pyramid Scene Parsing Network (CVPR 2017)', dataset: `CamVid (SegNet split), downscaled x${p.downscale}`, profile: p, classes: trainSet.classNames, chosen_on_val: chosen ?? null, runs: results }, null, 2),
    );
    await writeReport(o.reportsDir, results, p, trainSet.classNames, chosen, writeChart);
    return results;
  };
  return { profile: p.name, runsDir, reportsDir: o.reportsDir, runs, runOne, merge };
}

/** Every run of the grid in this process, then the merge (what a plain `replicate` does). */
export async function replicate(o: ReplicateOptions): Promise<RunResult[]> {
  return runAll(await plan(o));
}
