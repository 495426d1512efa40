/**
 * One setting of the quick profile's recipe, tried once (seed 1) on a
 * replication variant from ImageNet and scored on CamVid val (never test):
 * the replication's own setup and net (replication.ts) on a changed profile.
 * `pnpm --filter pspnet run recipe -- NAME VARIANT ITERS LR [OUTPUT_STRIDE]`
 * appends a row to reports/pspnet/recipe.json; profiles.ts takes the chosen setting.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWriteFile, datasetPath, evaluate, initEngine, train } from '@seg/core';
import { PROFILES, VARIANTS, type Profile } from './profiles.js';
import { replication } from './replication.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const [name, variantName, iters, lr, os] = process.argv.slice(2).filter((a) => a !== '--');
const variant = VARIANTS.find((v) => v.name === variantName);
if (!lr || !variant) throw new Error(`usage: recipe NAME VARIANT ITERS LR [OUTPUT_STRIDE]; VARIANT is one of ${VARIANTS.map((v) => `"${v.name}"`).join(', ')}`);
await initEngine();
const p: Profile = { ...PROFILES.quick, iters: Number(iters), optimizer: { ...PROFILES.quick.optimizer, lr: Number(lr) }, outputStride: (Number(os) || PROFILES.quick.outputStride) as 8 | 16 };
const data = replication.data(p, datasetPath('camvid'));
const run = { name: variant.name, variant, seed: 1 };
const setup = await replication.setup(p, run, data);
const model = replication.build(setup, run, false);
const t0 = performance.now();
await train(model, await data.train(), { ...setup.training, seed: run.seed, runDir: path.resolve(here, '../runs/recipe', name!) });
const trainS = Math.round((performance.now() - t0) / 1000);
const e = await evaluate(model, await data.val(), { batchSize: 8 });
const file = path.resolve(root, 'reports/pspnet/recipe.json');
const doc = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { command: string; rows: unknown[] }) : { command: 'pnpm --filter pspnet run recipe -- NAME VARIANT ITERS LR [OUTPUT_STRIDE]', rows: [] };
const setting = `${variant.name}: ${p.iters} iters x batch ${p.batch}, lr ${p.optimizer.lr}, backbone x${p.backboneLr}, output stride ${p.outputStride}, otherwise the quick profile`;
doc.rows.push({ name, setting, args: process.argv.slice(2).filter((a) => a !== '--'), val_miou: e.miou, val_pixel_acc: e.pixel_acc, train_s: trainS });
await atomicWriteFile(file, JSON.stringify(doc, null, 2));
console.log(JSON.stringify({ name, setting, val_miou: e.miou, train_s: trainS }));
