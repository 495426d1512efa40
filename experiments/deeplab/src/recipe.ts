/**
 * The fine-tuning recipe's settings, each tried once (seed 1) on DeepLab v3+
 * from ImageNet and scored on CamVid val (never test): learning rate,
 * backbone rate, batch-norm mode, class weighting, iterations, scale.
 * `pnpm --filter deeplab run recipe -- NAME ITERS BATCH LR BACKBONE_MULT DOWNSCALE BN(frozen|updated) WEIGHTS(none|median)`
 * appends one row to reports/deeplab/recipe.json; profiles.ts takes the chosen setting.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWriteFile, camvid, datasetMedianFrequency, datasetPath, downscaled, evaluate, initEngine, train } from '@seg/core';
import { deeplab, IMAGENET_BACKBONE_LAYERS } from '@seg/deeplab';
import { AUGMENT_SCALE, VARIANTS } from './profiles.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const [name, iters, batch, lr, mult, ds, bn, weights] = process.argv.slice(2).filter((a) => a !== '--');
if (!weights) throw new Error('usage: recipe NAME ITERS BATCH LR BACKBONE_MULT DOWNSCALE frozen|updated none|median');
await initEngine();
const data = datasetPath('camvid');
const trainSet = downscaled(await camvid(data, 'train'), Number(ds));
const val = downscaled(await camvid(data, 'val'), Number(ds));
// The replication's own v3+ (profiles.ts), so the recipe is tried on the net it is chosen for.
const v3plus = VARIANTS.find((v) => v.name === 'v3+ decoder')!.model;
const model = deeplab({ ...v3plus, classes: 11, pretrained: 'imagenet-caffe', frozenBatchNorm: bn === 'frozen', seed: 1 });
const crop: [number, number] = [Math.floor(352 / Number(ds)), Math.floor(480 / Number(ds))];
const t0 = performance.now();
await train(model, trainSet, {
  iters: Number(iters),
  batchSize: Number(batch),
  optimizer: { name: 'sgd', lr: Number(lr), momentum: 0.9, weightDecay: 1e-4 },
  lrMultipliers: Number(mult) === 1 ? [] : [{ layers: IMAGENET_BACKBONE_LAYERS, multiplier: Number(mult) }],
  ...(weights === 'median' ? { classWeights: await datasetMedianFrequency(trainSet) } : {}),
  augment: { flip: true, scale: AUGMENT_SCALE, crop },
  seed: 1,
  runDir: path.resolve(here, '../runs/recipe', name!),
  checkpointEvery: Number(iters),
  quiet: true,
});
const trainS = Math.round((performance.now() - t0) / 1000);
const e = await evaluate(model, val);
const file = path.resolve(root, 'reports/deeplab/recipe.json');
const doc = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { command: string; rows: unknown[] }) : { command: 'pnpm --filter deeplab run recipe -- NAME ITERS BATCH LR BACKBONE_MULT DOWNSCALE BN WEIGHTS', rows: [] };
const setting = `${iters} iters x batch ${batch}, lr ${lr}, backbone x${mult}, BN ${bn}, class weights ${weights}, downscale x${ds} (${crop.join('x')} crops)`;
doc.rows.push({ name, setting, args: process.argv.slice(2).filter((a) => a !== '--'), val_miou: e.miou, val_pixel_acc: e.pixel_acc, per_class: e.per_class.map((c) => [c.name, c.iou]), train_s: trainS });
await atomicWriteFile(file, JSON.stringify(doc, null, 2));
console.log(JSON.stringify({ name, setting, val_miou: e.miou, train_s: trainS }));
