/**
 * The U-Net replication on core's runner: every variant x seed, trained on
 * ISBI 2012's slices 00-24 and scored on the held-out 25-29.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { boundaryF1, ConfusionMatrix, infer, isbi2012, once, pixelError, randError, slugify, writePng, type Dataset, type InferOptions, type Prediction, type ReplicationDefinition, type Sample } from '@seg/core';
import { tileCovering, unet, unetTraining } from '@seg/unet';
import { ABLATIONS, PAPER, PROFILES, VARIANTS, type Metrics, type Profile, type Variant } from './profiles.js';
import { writeReport } from './report.js';

function evaluateSlices(pred: Prediction[], truth: Sample[]): Metrics {
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

/** Inference: overlap-tile with one tile covering the 512x512 slice (mirrored borders), or the whole image. */
const inference = (p: Profile, v: Variant): InferOptions => (v.net === 'valid' ? { mode: 'tile', tile: [tileCovering(512, p.depth), tileCovering(512, p.depth)] } : {});

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

interface Data {
  train: () => Promise<Dataset>;
  truth: () => Promise<Sample[]>;
}

export const replication: ReplicationDefinition<Profile, Variant, Data, Metrics> = {
  paper: 'unet',
  dataset: 'isbi2012',
  from: import.meta.url,
  packages: ['@seg/unet'],
  profiles: PROFILES,
  data: (p, dir) => ({
    train: once(() => isbi2012(dir, 'train', p.trainSlices)),
    truth: once(async () => {
      const evalSet = await isbi2012(dir, 'train', p.evalSlices);
      return Promise.all(Array.from({ length: evalSet.length }, (_, i) => evalSet.get(i)));
    }),
  }),
  trainSet: (d) => d.train(),
  // Variants outer, seeds inner.
  grid: (p) => VARIANTS.flatMap((v) => p.seeds.map((seed) => ({ name: v.name, variant: v, seed }))),
  setup: (p, { variant: v, seed }) => {
    const crop = p.crop[v.net];
    return {
      model: { padding: v.net === 'valid' ? 'valid' : 'same', batchNorm: v.net === 'same-bn', baseWidth: p.baseWidth, depth: p.depth, size: [null, null], seed },
      training: {
        ...unetTraining({ weightedLoss: v.weightedLoss, elastic: v.elastic, crop: [crop, crop], optimizer: p.optimizer }),
        iters: p.iters,
        checkpointEvery: Math.max(1, Math.floor(p.iters / 4)),
        logEvery: Math.max(1, Math.floor(p.iters / 40)),
      },
      data: { trainSlices: p.trainSlices, evalSlices: p.evalSlices },
      // The weight map is a function of the variant: recorded by its name.
      extra: { weightedLoss: v.weightedLoss, inference: inference(p, v) },
    };
  },
  build: (s) => unet(s.model as Parameters<typeof unet>[0]),
  score: async (model, { variant }, d, { profile }) => {
    const truth = await d.truth();
    const preds: Prediction[] = [];
    for (const s of truth) preds.push(await infer(model, s, inference(profile, variant)));
    return { metrics: evaluateSlices(preds, truth) };
  },
  claims: ABLATIONS,
  // Overlays (first seed, from its checkpoint): every evaluation slice for the paper's set-up, the first slice for the others.
  merge: async ({ profile: p, data, reportsDir, trainedNet }) => {
    const truth = await data.truth();
    await mkdir(path.join(reportsDir, 'overlays'), { recursive: true });
    for (const v of VARIANTS) {
      const model = await trainedNet(v.name, p.seeds[0]!);
      const shown = v === VARIANTS[0] ? truth.length : 1;
      for (let i = 0; i < shown; i++) await writeOverlay(reportsDir, v.name, await infer(model, truth[i]!, inference(p, v)), truth[i]!);
      model.dispose();
    }
    return { paper_results: PAPER };
  },
  header: () => ({ paper: 'Ronneberger et al. 2015, U-Net', dataset: 'ISBI 2012 (train slices 00-24 / 25-29)' }),
  writeReport: (dir, r, chart) => writeReport(dir, r.runs, r.profile, chart),
};
