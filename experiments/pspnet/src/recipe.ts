/**
 * One setting of the quick profile's recipe, tried once (seed 1) on a
 * replication variant from ImageNet and scored on CamVid val (never test).
 * `pnpm --filter pspnet run recipe -- NAME VARIANT ITERS LR [OUTPUT_STRIDE]`
 * appends a row to reports/pspnet/recipe.json; profiles.ts takes the chosen setting.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWriteFile, CAFFE_RESNET_LAYERS, camvid, datasetMedianFrequency, datasetPath, downscaled, evaluate, initEngine, train } from '@seg/core';
import { AUX_OUTPUT, pspnet } from '@seg/pspnet';
import { PROFILES, VARIANTS } from './profiles.js';
import { runOptions } from './replicate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const [name, variantName, iters, lr, os] = process.argv.slice(2).filter((a) => a !== '--');
const variant = VARIANTS.find((v) => v.name === variantName);
if (!lr || !variant) throw new Error(`usage: recipe NAME VARIANT ITERS LR [OUTPUT_STRIDE]; VARIANT is one of ${VARIANTS.map((v) => `"${v.name}"`).join(', ')}`);
await initEngine();
const p = { ...PROFILES.quick, iters: Number(iters), optimizer: { ...PROFILES.quick.optimizer, lr: Number(lr) }, outputStride: (Number(os) || PROFILES.quick.outputStride) as 8 | 16 };
const data = datasetPath('camvid');
const trainSet = downscaled(await camvid(data, 'train'), p.downscale);
const val = downscaled(await camvid(data, 'val'), p.downscale);
const model = pspnet(runOptions(variant, p, trainSet.numClasses, 1));
const t0 = performance.now();
await train(model, trainSet, {
  iters: p.iters,
  batchSize: p.batch,
  optimizer: p.optimizer,
  lrMultipliers: [{ layers: CAFFE_RESNET_LAYERS, multiplier: p.backboneLr }],
  auxiliaryLosses: variant.alpha === null ? {} : { [AUX_OUTPUT]: variant.alpha },
  classWeights: await datasetMedianFrequency(trainSet),
  augment: { flip: true, scale: p.scale, crop: p.crop },
  seed: 1,
  runDir: path.resolve(here, '../runs/recipe', name!),
  checkpointEvery: p.iters,
  quiet: true,
});
const trainS = Math.round((performance.now() - t0) / 1000);
const e = await evaluate(model, val, { batchSize: 8 });
const file = path.resolve(root, 'reports/pspnet/recipe.json');
const doc = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { command: string; rows: unknown[] }) : { command: 'pnpm --filter pspnet run recipe -- NAME VARIANT ITERS LR [OUTPUT_STRIDE]', rows: [] };
const setting = `${variant.name}: ${p.iters} iters x batch ${p.batch}, lr ${p.optimizer.lr}, backbone x${p.backboneLr}, output stride ${p.outputStride}, otherwise the quick profile`;
doc.rows.push({ name, setting, args: process.argv.slice(2).filter((a) => a !== '--'), val_miou: e.miou, val_pixel_acc: e.pixel_acc, train_s: trainS });
await atomicWriteFile(file, JSON.stringify(doc, null, 2));
console.log(JSON.stringify({ name, setting, val_miou: e.miou, train_s: trainS }));
