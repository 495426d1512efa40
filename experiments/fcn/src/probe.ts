/**
 * The tuning probes behind the quick profile (README.md lists what ran): one
 * FCN on the ImageNet ResNet-50, trained on CamVid train and scored on val.
 * Environment: VARIANT (32s/16s/8s), SCALED=1 (at-once skips), ITERS, BATCH,
 * OPT (adam|sgd), LR, BBLR (backbone lr multiplier, SGD), DS (downscale).
 * Run from experiments/fcn: `ITERS=60 OPT=sgd LR=0.01 BBLR=0.1 VARIANT=8s SCALED=1 npx tsx src/probe.ts`.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initEngine, describeEngine, camvidSplit, datasetPath, train, evaluate, CAFFE_RESNET_LAYERS } from '@seg/core';
import { fcn } from '@seg/fcn';
console.error(describeEngine(await initEngine()));
const data = datasetPath('camvid');
const iters = Number(process.env.ITERS ?? 60), batch = Number(process.env.BATCH ?? 8), lr = Number(process.env.LR ?? 0.001);
const ds = Number(process.env.DS ?? 4);
const crop: [number, number] = ds === 4 ? [88, 120] : [176, 240];
const trainSet = await camvidSplit(data, 'train', ds, 367);
const val = await camvidSplit(data, 'val', ds, 101);
const variant = (process.env.VARIANT ?? '8s') as '8s';
const opt = process.env.OPT === 'sgd' ? { name: 'sgd' as const, lr, momentum: 0.9, weightDecay: 1e-4 } : { name: 'adam' as const, lr };
const t0 = Date.now();
const model = fcn({ backbone: 'resnet50', pretrained: 'imagenet-caffe', variant, scaledSkips: process.env.SCALED === '1', classes: trainSet.numClasses, size: [null, null], seed: 1 });
console.log('build', (Date.now() - t0) / 1000);
const r = await train(model, trainSet, { iters, batchSize: batch, optimizer: opt, augment: { flip: true, scale: [0.75, 1.25], crop }, lrMultipliers: process.env.BBLR ? [{ layers: CAFFE_RESNET_LAYERS, multiplier: Number(process.env.BBLR) }] : [], seed: 1, logEvery: 10, runDir: path.join(tmpdir(), `seg-fcn-probe-${Date.now()}`) });
console.log('train', r.seconds, (r.seconds / iters).toFixed(3), 's/iter');
const t1 = Date.now();
const e = await evaluate(model, val, { boundaryTolerance: 1, batchSize: 8 });
console.log('eval s', (Date.now() - t1) / 1000, 'miou', e.miou, 'bf', e.boundary_f1, 'pa', e.pixel_acc);
