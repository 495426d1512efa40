/**
 * Runs every variant x seed of a profile on downscaled CamVid (resuming
 * finished or interrupted runs) and evaluates each on val with its last
 * checkpoint; then chooses the variant with the best mean val mIoU and
 * evaluates its runs on test, once; writes reports/pspnet/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile,
  camvidSplit,
  CAFFE_RESNET_LAYERS,
  datasetMedianFrequency,
  engineInfo,
  engineRecord,
  evaluate,
  infer,
  labelOverlay,
  loadCheckpointWeights,
  packageVersions,
  prepareRunDir,
  readTrainingLog,
  slugify,
  train,
  TrainingDiverged,
  writeChart,
  writePng,
  type Dataset,
  type EngineRecord,
  type ReplicationOptions,
  type tfl,
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

export async function replicate(o: ReplicateOptions): Promise<RunResult[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const trainSet = await camvidSplit(o.dataDir, 'train', p.downscale, p.trainImages);
  const val = await camvidSplit(o.dataDir, 'val', p.downscale, p.valImages);
  const test = await camvidSplit(o.dataDir, 'test', p.downscale, p.testImages);
  const firstVal = await val.get(0);
  const classes = trainSet.numClasses;
  const classWeights = p.classWeights === 'median' ? (await datasetMedianFrequency(trainSet)).map((w) => Number(w.toFixed(6))) : undefined;

  const results: RunResult[] = [];
  const overlays: { name: string; labels: Uint8Array }[] = [];
  for (const variant of VARIANTS) {
    for (const seed of seedsOf(variant, p)) {
      const runDir = path.join(o.runsDir, p.name, `${slugify(variant.name)}-s${seed}`);
      const modelOptions = runOptions(variant, p, classes, seed);
      const lrMultipliers = p.backboneLr !== 1 ? [{ layers: CAFFE_RESNET_LAYERS, multiplier: p.backboneLr }] : [];
      const auxiliaryLosses: Record<string, number> = variant.alpha !== null ? { [AUX_OUTPUT]: variant.alpha } : {};
      const augment = { flip: true, scale: p.scale, crop: p.crop };
      const config = { profile: p.name, variant: variant.name, table: variant.table, model: modelOptions, auxiliaryLosses, crop: p.crop, augment, iters: p.iters, batch: p.batch, optimizer: p.optimizer, lrMultipliers, classWeights: classWeights ?? null, downscale: p.downscale, seed, trainImages: trainSet.length };
      await prepareRunDir(runDir, config, log);
      const resultFile = path.join(runDir, 'result.json');
      let result: RunResult | undefined = existsSync(resultFile) ? (JSON.parse(await readFile(resultFile, 'utf8')) as RunResult) : undefined;
      const firstSeed = seed === seedsOf(variant, p)[0];
      // A finished run needs its net only for the first seed's overlay, with the weights from its checkpoint (no ImageNet load).
      let model: tfl.LayersModel | undefined;
      if (!result) model = pspnet(modelOptions);
      else if (firstSeed && !result.diverged) {
        model = pspnet({ ...modelOptions, pretrained: null });
        await loadCheckpointWeights(runDir, model);
      }
      if (result) log(`${variant.name}, seed ${seed}: done earlier (${resultFile})`);
      else {
        log(`${variant.name}, seed ${seed}: training ${p.iters} iterations (${runDir})`);
        let diverged: string | undefined;
        const r = await train(model!, trainSet, {
          iters: p.iters,
          batchSize: p.batch,
          optimizer: p.optimizer,
          lrMultipliers,
          auxiliaryLosses,
          ...(classWeights ? { classWeights } : {}),
          augment,
          seed,
          runDir,
          checkpointEvery: p.iters,
          logEvery: Math.max(1, Math.floor(p.iters / 20)),
          quiet: true,
        }).catch((err: unknown) => {
          // A run that diverges is a result (recorded, shown in the report), not the end of the replication.
          if (!(err instanceof TrainingDiverged)) throw err;
          diverged = err.message;
          log(`${variant.name}, seed ${seed}: ${err.message}`);
          return { seconds: 0 };
        });
        const t0 = performance.now();
        const metrics = diverged ? null : { val: await score(model!, val) };
        const curve = diverged ? [] : await readTrainingLog(runDir);
        result = {
          variant: variant.name,
          table: variant.table,
          seed,
          config,
          metrics,
          ...(diverged ? { diverged } : {}),
          training_seconds: Number(r.seconds.toFixed(2)),
          evaluation_seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
          backend: engineInfo()?.backend ?? 'unknown',
          engine: engineRecord() as EngineRecord,
          packages: versions(),
          loss_curve: curve.map(({ iter, loss }) => ({ iter, loss })),
        };
        await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
        if (metrics) log(`${variant.name}, seed ${seed}: val mIoU ${(100 * metrics.val.miou).toFixed(2)} (${result.training_seconds} s training, ${result.evaluation_seconds} s evaluation)`);
      }
      if (model && firstSeed && !result.diverged) overlays.push({ name: variant.name, labels: (await infer(model, firstVal)).labels });
      model?.dispose();
      results.push(result);
    }
  }
  // The protocol: the variant is chosen on val; its runs are evaluated on test once.
  const chosen = chooseOnVal(results);
  for (const r of results.filter((x) => x.variant === chosen && x.metrics && !x.metrics.test)) {
    const variant = VARIANTS.find((v) => v.name === r.variant)!;
    const runDir = path.join(o.runsDir, p.name, `${slugify(r.variant)}-s${r.seed}`);
    const model = pspnet({ ...runOptions(variant, p, classes, r.seed), pretrained: null });
    await loadCheckpointWeights(runDir, model);
    const t0 = performance.now();
    r.metrics!.test = await score(model, test);
    r.evaluation_seconds = Number((r.evaluation_seconds + (performance.now() - t0) / 1000).toFixed(2));
    model.dispose();
    await atomicWriteFile(path.join(runDir, 'result.json'), JSON.stringify(r, null, 2));
    log(`${r.variant}, seed ${r.seed} (chosen on val): test mIoU ${(100 * r.metrics!.test.miou).toFixed(2)}`);
  }
  await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
  for (const { name, labels } of overlays) await writePng(path.join(o.reportsDir, 'overlays', `${slugify(name)}.png`), labelOverlay(firstVal, labels));
  await writePng(path.join(o.reportsDir, 'overlays', 'ground-truth.png'), labelOverlay(firstVal, firstVal.mask));
  await atomicWriteFile(
    path.join(o.reportsDir, 'results.json'),
    JSON.stringify({ paper: 'Zhao et al., Pyramid Scene Parsing Network (CVPR 2017)', dataset: `CamVid (SegNet split), downscaled x${p.downscale}`, profile: p, classes: trainSet.classNames, chosen_on_val: chosen ?? null, runs: results }, null, 2),
  );
  await writeReport(o.reportsDir, results, p, trainSet.classNames, chosen, writeChart);
  return results;
}
