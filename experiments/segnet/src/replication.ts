/**
 * The SegNet replication on core's runner: every variant x seed trained from
 * scratch on CamVid, val scored after each of `evaluations` equal segments and
 * the checkpoint with the best global accuracy there kept (Sec. 4.1), that one
 * scored on test once; then each decoder's cost measured at the paper's size
 * (360x480, 64 features): parameters, the bytes it keeps from the encoder,
 * inference time per engine.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  atomicWriteFile,
  CAMVID_CLASSES,
  camvid,
  camvidSplits,
  countTrainableParams,
  datasetMedianFrequency,
  engineInfo,
  evaluate,
  fileSystem,
  infer,
  labelOverlay,
  once,
  loadOnnxRuntime,
  OnnxNetwork,
  slugify,
  subset,
  tf,
  tfl,
  timeTask,
  trainOrDiverged,
  writePng,
  type CamvidSplits,
  type Dataset,
  type EvalOptions,
  type EvalResult,
  type ReplicationDefinition,
} from '@seg/core';
import { decoderStorage, segnetBasic } from '@seg/segnet';
import { CLAIMS, PROFILES, TUTORIAL_WEIGHTS, VARIANTS, type Balancing, type DecoderCost, type Metrics, type Profile, type RunResult, type Scores, type Variant } from './profiles.js';
import { writeReport, type Results } from './report.js';

interface Data extends CamvidSplits {
  /** The full-resolution training labels the median-frequency weights are computed from. */
  labels: () => Promise<Dataset>;
}

const scores = (e: EvalResult): Scores => ({ global: e.pixel_acc, class_avg: e.mean_acc, miou: e.miou, bf: e.bf ?? 0 });

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

export const replication: ReplicationDefinition<Profile, Variant, Data, Metrics> = {
  paper: 'segnet',
  dataset: 'camvid',
  from: import.meta.url,
  packages: ['@seg/segnet'],
  profiles: PROFILES,
  data: (p, dir) => ({
    ...camvidSplits(p, dir),
    labels: once(async () => {
      const all = await camvid(dir, 'train');
      return subset(all, Array.from({ length: Math.min(p.trainImages, all.length) }, (_, i) => i), 'camvid-train');
    }),
  }),
  trainSet: (d) => d.train(),
  // Table 1's grid: seeds outer, variants inner; the decoders outside the main comparison at `otherSeeds` only.
  grid: (p) => p.seeds.flatMap((seed) => VARIANTS.filter((v) => v.main || p.otherSeeds.includes(seed)).map((v) => ({ name: v.name, variant: v, seed }))),
  setup: (p, { variant: v, seed }) => ({
    model: { decoder: v.decoder, classes: CAMVID_CLASSES.length, features: p.features, size: [null, null], seed },
    training: {
      iters: p.iters,
      batchSize: p.batch,
      optimizer: p.optimizer,
      // Sec. 3.2: a fixed rate; the tutorial's median-frequency weights, Caffe's normalisation by labelled pixels.
      schedule: 'constant',
      ...(v.balancing === 'median' ? { classWeights: TUTORIAL_WEIGHTS, lossNormalize: 'pixels' as const } : {}),
      augment: { flip: true, crop: p.crop },
      // A checkpoint at the end of each segment: the one val scores.
      checkpointEvery: Math.max(1, Math.round(p.iters / p.evaluations)),
      logEvery: Math.max(1, Math.floor(p.iters / 40)),
      quiet: true,
    },
    data: { downscale: p.downscale, trainImages: p.trainImages, valImages: p.valImages, testImages: p.testImages },
    // Val passes (after equal segments; the best global accuracy is kept), and how the kept checkpoint is scored.
    extra: { evaluations: p.evaluations, evaluation: { classBoundary: true } satisfies EvalOptions },
  }),
  build: (s) => segnetBasic(s.model as Parameters<typeof segnetBasic>[0]),
  // Trains to the end in `evaluations` equal segments, scoring val after each; the best global accuracy is kept in RUN/best.
  train: async (net, trainSet, cfg, { data, setup, runDir, log }) => {
    const evaluations = setup.extra!.evaluations as number;
    const curveFile = path.join(runDir, 'val.json');
    const curve: RunResult['val_curve'] = existsSync(curveFile) ? JSON.parse(await readFile(curveFile, 'utf8')) : [];
    let seconds = 0;
    log(`val every ${Math.round(cfg.iters / evaluations)} iterations`);
    for (let k = 1; k <= evaluations; k++) {
      const iters = Math.round((cfg.iters * k) / evaluations);
      const r = await trainOrDiverged(net, trainSet, { ...cfg, iters }, log);
      if (r.diverged) return r;
      seconds = r.seconds;
      // A resumed run scored this segment before it was stopped.
      if (curve.some((c) => c.iter === iters)) continue;
      const e = await evaluate(net, await data.val());
      const best = curve.length === 0 || e.pixel_acc > Math.max(...curve.map((c) => c.global));
      if (best) {
        await rm(path.join(runDir, 'best'), { recursive: true, force: true });
        await cp(path.join(runDir, 'checkpoint', 'model'), path.join(runDir, 'best'), { recursive: true });
      }
      curve.push({ iter: iters, global: e.pixel_acc, miou: e.miou });
      await atomicWriteFile(curveFile, JSON.stringify(curve));
      log(`iteration ${iters}: val G ${(100 * e.pixel_acc).toFixed(1)}, mIoU ${(100 * e.miou).toFixed(1)}${best ? ' (best so far)' : ''}`);
    }
    return { seconds };
  },
  // The kept checkpoint (not the last one): val again with boundaries, and test, once.
  score: async (_last, _run, d, { setup, runDir }) => {
    const evaluation = setup.extra!.evaluation as EvalOptions;
    const curve: RunResult['val_curve'] = JSON.parse(await readFile(path.join(runDir, 'val.json'), 'utf8'));
    const kept = await tfl.loadLayersModel(fileSystem(path.join(runDir, 'best')));
    try {
      const val = await evaluate(kept, await d.val(), evaluation);
      const test = await evaluate(kept, await d.test(), evaluation);
      return {
        metrics: { val: scores(val), test: scores(test) },
        extra: { best_iter: curve.reduce((a, c) => (c.global > a.global ? c : a)).iter, val_curve: curve, test_per_class_iou: test.per_class.map((c) => c.iou) },
      };
    } finally {
      kept.dispose();
    }
  },
  claims: CLAIMS,
  merge: async ({ profile: p, data, runs, reportsDir, runDirOf, log }) => {
    // The weights computed from the full-resolution training label maps, beside the tutorial's (the runs use the tutorial's).
    const balancing: Balancing = { computed: await datasetMedianFrequency(await data.labels()), tutorial: TUTORIAL_WEIGHTS };
    // One test image through each variant's first-seed kept checkpoint.
    await mkdir(path.join(reportsDir, 'overlays'), { recursive: true });
    const first = await (await data.test()).get(0);
    await writePng(path.join(reportsDir, 'overlays', 'ground-truth.png'), labelOverlay(first, first.mask));
    for (const v of VARIANTS) {
      const best = path.join(runDirOf(v.name, p.seeds[0]!), 'best');
      // A run that diverged before its first val pass kept no checkpoint (the report says it diverged).
      if (!existsSync(best)) continue;
      const m = await tfl.loadLayersModel(fileSystem(best));
      await writePng(path.join(reportsDir, 'overlays', `${slugify(v.name)}.png`), labelOverlay(first, (await infer(m, first)).labels));
      m.dispose();
    }
    // The best SegNet-Basic run by val global accuracy (never by test): its weights are the report's.
    const scored = (runs as RunResult[]).filter((r) => r.variant === 'SegNet-Basic' && !r.diverged);
    if (scored.length === 0) throw new Error(`Every SegNet-Basic run of the ${p.name} profile diverged: there are no weights to publish.`);
    const basic = scored.reduce((a, r) => (r.metrics.val.global > a.metrics.val.global ? r : a));
    const weightsDir = path.join(reportsDir, 'weights', `segnet-basic-${p.name}-s${basic.seed}`);
    await rm(weightsDir, { recursive: true, force: true });
    await cp(path.join(runDirOf('SegNet-Basic', basic.seed), 'best'), weightsDir, { recursive: true });
    return { balancing, weights: path.relative(reportsDir, weightsDir), costs: await decoderCosts(p, log) };
  },
  header: (p) => ({ paper: 'Badrinarayanan, Kendall & Cipolla 2017, SegNet (Table 1)', dataset: `CamVid (SegNet split)${p.downscale > 1 ? `, downscaled x${p.downscale}` : ''}` }),
  writeReport: (dir, r, chart) => writeReport(dir, r as unknown as Results, chart),
};
