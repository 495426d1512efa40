/**
 * Runs every variant x start (ImageNet / scratch) x seed of a profile on
 * downscaled CamVid (resuming finished or interrupted runs), chooses the
 * CRF's parameters on val, evaluates val and then test once with the last
 * checkpoint (before/after CRF for the v2 heads, at output strides 16 and 8
 * for v3), and writes reports/deeplab/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile,
  camvidSplit,
  datasetMedianFrequency,
  evaluate,
  infer,
  labelOverlay,
  loadCheckpointWeights,
  packageVersions,
  prepareRunDir,
  profileTraining,
  slugify,
  toByteRange,
  train,
  writeChart,
  writePng,
  type Dataset,
  type Prediction,
  type GridReplication,
  type GridRun,
  type ReplicationOptions,
  type Sample,
  type tfl,
  readRunResults,
  trainOrDiverged,
  runProvenance,
  lossCurve,
  runAll,
} from '@seg/core';
import { refinePrediction, type CrfParams } from '@seg/crf';
import { deeplab, IMAGENET_BACKBONE_LAYERS, withOutputStride, type DeepLabOptions } from '@seg/deeplab';
import { runName, VARIANTS, type Init, type Profile, type Variant } from './profiles.js';
import { writeReport } from './report.js';
import type { CrfChoice, RunResult, Scores } from './results.js';

export type { CrfChoice, RunResult, Scores };
export type ReplicateOptions = ReplicationOptions<Profile>;

const versions = () => packageVersions(['@seg/core', '@seg/crf', '@seg/deeplab', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'], import.meta.url);

/** Scores of a model (optionally refined by the CRF) on a dataset. */
async function score(model: tfl.LayersModel, dataset: Dataset, crf?: CrfParams): Promise<Scores> {
  const refine = crf ? (p: Prediction, s: Sample) => refinePrediction(p, toByteRange(s.image), 3, crf) : undefined;
  const e = await evaluate(model, dataset, { boundaryTolerance: 1, ...(refine ? { refine } : {}) });
  return { miou: e.miou, pixel_acc: e.pixel_acc, mean_acc: e.mean_acc, boundary_f1: e.boundary_f1! };
}

/** The CRF grid's best setting by mIoU on val (the protocol: settings on val, test once). */
async function chooseCrf(model: tfl.LayersModel, val: Dataset, p: Profile, log: (s: string) => void, what: string): Promise<CrfChoice> {
  const tried: { params: CrfParams; miou: number }[] = [];
  for (const weight of p.crfGrid.weight) {
    for (const thetaAlpha of p.crfGrid.thetaAlpha) {
      for (const thetaBeta of p.crfGrid.thetaBeta) {
        const params: CrfParams = { iterations: 10, bilateral: { weight, thetaAlpha, thetaBeta }, gaussian: { weight: 3, theta: 1 } };
        tried.push({ params, miou: (await score(model, val, params)).miou });
      }
    }
  }
  const none = (await score(model, val)).miou;
  const best = tried.reduce((a, b) => (b.miou > a.miou ? b : a));
  log(`CRF chosen on val with ${what}: ${JSON.stringify(best.params.bilateral)} (val mIoU ${none.toFixed(4)} -> ${best.miou.toFixed(4)})`);
  return { chosenWith: what, best: best.params, withoutCrf: none, grid: tried.map((t) => ({ ...t.params.bilateral, miou: t.miou })) };
}

/** The model options of one run: ResNet-50 rows full width, from ImageNet or from scratch. */
export function runOptions(variant: Variant, init: Init, p: Profile, classes: number, seed: number): DeepLabOptions {
  const resnet = variant.model.backbone !== 'vgg16';
  return {
    ...variant.model,
    classes,
    width: resnet ? 1 : p.vggWidth,
    size: [null, null],
    seed,
    ...(resnet ? { pretrained: init === 'imagenet' ? 'imagenet' : null, frozenBatchNorm: init === 'imagenet' && p.imagenet.frozenBatchNorm } : {}),
  };
}

export const variantsOf = (p: Profile) => VARIANTS.filter((v) => !v.profiles || v.profiles.includes(p.name));

/**
 * The replication as a grid (core's report/run-grid.ts): variants outer,
 * starts, then seeds. Each run trains and scores val and test in its own
 * folder. The v2 heads' CRF is chosen on val once per start, by the first of
 * them that trained (its folder keeps crf.json); so the v2 runs of a start form
 * a chain, each after the previous, and share a worker. The merge reads every
 * result.json in grid order and draws the first seeds' overlays.
 */
export async function plan(o: ReplicateOptions): Promise<GridReplication<RunResult[]>> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const p = o.profile;
  const runsDir = path.join(o.runsDir, p.name);
  const trainSet = await camvidSplit(o.dataDir, 'train', p.downscale, p.trainImages);
  const classes = trainSet.numClasses;
  const classWeights = p.classWeights === 'median' ? (await datasetMedianFrequency(trainSet)).map((w) => Number(w.toFixed(6))) : undefined;
  const setup = (variant: Variant, init: Init, seed: number) => {
    const modelOptions = runOptions(variant, init, p, classes, seed);
    const lrMultipliers = modelOptions.pretrained && p.imagenet.backboneLr !== 1 ? [{ layers: IMAGENET_BACKBONE_LAYERS, multiplier: p.imagenet.backboneLr }] : [];
    const config = { profile: p.name, variant: variant.name, init, model: modelOptions, crop: p.crop, iters: p.iters, batch: p.batch, optimizer: p.optimizer, lrMultipliers, classWeights: classWeights ?? null, downscale: p.downscale, seed, trainImages: trainSet.length };
    return { modelOptions, lrMultipliers, config };
  };
  const runs: (GridRun & { v: Variant; init: Init })[] = [];
  const lastCrfRun: Partial<Record<Init, string>> = {};
  for (const v of variantsOf(p)) {
    for (const init of v.inits) {
      for (const seed of p.seeds) {
        const id = `${slugify(runName(v.name, init))}-s${seed}`;
        runs.push({ id, variant: runName(v.name, init), seed, config: setup(v, init, seed).config, v, init, ...(v.crf && lastCrfRun[init] ? { after: lastCrfRun[init] } : {}) });
        if (v.crf) lastCrfRun[init] = id;
      }
    }
  }
  /** The CRF chosen for a start: the first v2 run (grid order) whose folder holds one. */
  const crfChoice = async (init: Init): Promise<CrfChoice | undefined> => {
    for (const r of runs.filter((x) => x.v.crf && x.init === init)) {
      const file = path.join(runsDir, r.id, 'crf.json');
      if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as CrfChoice;
    }
    return undefined;
  };
  let loaded: Promise<{ val: Dataset; test: Dataset }> | undefined;
  const evalSets = () => (loaded ??= (async () => ({ val: await camvidSplit(o.dataDir, 'val', p.downscale, p.valImages), test: await camvidSplit(o.dataDir, 'test', p.downscale, p.testImages) }))());
  const runOne = async (run: GridRun) => {
    const { v: variant, init, seed } = runs.find((r) => r.id === run.id)!;
    const name = runName(variant.name, init);
    const runDir = path.join(runsDir, run.id);
    const { modelOptions, lrMultipliers, config } = setup(variant, init, seed);
    await prepareRunDir(runDir, config, log);
    const resultFile = path.join(runDir, 'result.json');
    if (existsSync(resultFile)) {
      log(`${name}, seed ${seed}: done earlier (${resultFile})`);
      return;
    }
    const { val, test } = await evalSets();
    const model = deeplab(modelOptions);
    log(`${name}, seed ${seed}: training ${p.iters} iterations (${runDir})`);
    const r = await trainOrDiverged(
      model,
      trainSet,
      {
        ...profileTraining(p, runDir, seed),
        lrMultipliers,
        ...(classWeights ? { classWeights } : {}),
        augment: { flip: true, scale: [0.75, 1.25], crop: p.crop },
      },
      (s) => log(`${name}, seed ${seed}: ${s}`),
    );
    if (r.diverged) {
      const result: RunResult = { variant: variant.name, init, seed, config, metrics: { val: {}, test: {} }, diverged: r.diverged, training_seconds: 0, ...runProvenance(versions()), loss_curve: [] };
      await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
      model.dispose();
      return;
    }
    let crf = variant.crf ? await crfChoice(init) : undefined;
    if (variant.crf && !crf) {
      crf = await chooseCrf(model, val, p, log, `${name}, seed ${seed}`);
      await atomicWriteFile(path.join(runDir, 'crf.json'), JSON.stringify(crf, null, 2));
    }
    const metrics: RunResult['metrics'] = { val: {}, test: {} };
    for (const os of variant.evalStrides ?? [variant.model.outputStride ?? 8]) {
      const m = os === (variant.model.outputStride ?? 8) ? model : withOutputStride(model, modelOptions, os);
      metrics.val[`os${os}`] = await score(m, val);
      metrics.test[`os${os}`] = await score(m, test);
      if (m !== model) m.dispose();
    }
    if (crf) {
      metrics.val.crf = await score(model, val, crf.best);
      metrics.test.crf = await score(model, test, crf.best);
    }
    model.dispose();
    const result: RunResult = {
      variant: variant.name,
      init,
      seed,
      config: { ...config, ...(crf ? { crf: crf.best } : {}) },
      metrics,
      training_seconds: Number(r.seconds.toFixed(2)),
      ...runProvenance(versions()),
      loss_curve: await lossCurve(runDir),
    };
    await atomicWriteFile(resultFile, JSON.stringify(result, null, 2));
    log(`${name}, seed ${seed}: val ${JSON.stringify(Object.fromEntries(Object.entries(metrics.val).map(([k, v]) => [k, Number((100 * v.miou).toFixed(2))])))}`);
  };
  const merge = async () => {
    const results = await readRunResults<RunResult>(runsDir, runs);
    const crfChoices: Partial<Record<Init, CrfChoice>> = {};
    for (const init of ['imagenet', 'scratch'] as Init[]) {
      const c = await crfChoice(init);
      if (c) crfChoices[init] = c;
    }
    // The first val image through each first-seed run, side by side (with and without CRF for the v2 heads).
    const firstVal = await (await evalSets()).val.get(0);
    await mkdir(path.join(o.reportsDir, 'overlays'), { recursive: true });
    for (const [i, r] of runs.entries()) {
      if (r.seed !== p.seeds[0] || results[i]!.diverged) continue;
      const name = runName(r.v.name, r.init);
      const model = deeplab({ ...setup(r.v, r.init, r.seed).modelOptions, pretrained: null });
      await loadCheckpointWeights(path.join(runsDir, r.id), model);
      const pred = await infer(model, firstVal);
      model.dispose();
      await writePng(path.join(o.reportsDir, 'overlays', `${slugify(name)}.png`), labelOverlay(firstVal, pred.labels));
      const crf = r.v.crf ? crfChoices[r.init] : undefined;
      if (crf) await writePng(path.join(o.reportsDir, 'overlays', `${slugify(`${name} + CRF`)}.png`), labelOverlay(firstVal, refinePrediction(pred, toByteRange(firstVal.image), 3, crf.best).labels));
    }
    await writePng(path.join(o.reportsDir, 'overlays', 'ground-truth.png'), labelOverlay(firstVal, firstVal.mask));
    await atomicWriteFile(
      path.join(o.reportsDir, 'results.json'),
      JSON.stringify(
        { papers: 'Chen et al. DeepLab v1 (2015), v2 (2017), v3 (2017), v3+ (2018)', dataset: `CamVid (SegNet split), downscaled x${p.downscale}`, profile: p, crf: crfChoices, runs: results },
        null,
        2,
      ),
    );
    await writeReport(o.reportsDir, results, p, crfChoices, writeChart);
    return results;
  };
  return { profile: p.name, runsDir, reportsDir: o.reportsDir, runs: runs.map(({ v: _v, init: _i, ...r }) => r), runOne, merge };
}

/** Every run of the grid in this process, then the merge (what a plain `replicate` does). */
export async function replicate(o: ReplicateOptions): Promise<RunResult[]> {
  return runAll(await plan(o));
}

export type { Variant };
