/**
 * The tuning probes behind the quick profile (README.md lists what ran):
 * the replication's own runner on a changed profile, some variants and seeds,
 * into /tmp. Environment: BW (base width), ITERS, CROPV / CROPS (valid /
 * same-bn crop), LR (Adam), VARIANTS (indices into VARIANTS), SEEDS, TAG.
 * Run from experiments/unet: `BW=8 ITERS=300 CROPV=428 VARIANTS=1 npx tsx src/probe.ts`.
 */
import path from 'node:path';
import { initEngine, describeEngine, datasetPath, replicate } from '@seg/core';
import { PROFILES, VARIANTS } from './profiles.js';
import { replication } from './replication.js';
console.error(describeEngine(await initEngine()));
const bw = Number(process.env.BW ?? 16), iters = Number(process.env.ITERS ?? 100);
const keep = (process.env.VARIANTS ?? '0,1,2,3').split(',').map(Number);
const kept = VARIANTS.filter((_, i) => keep.includes(i));
VARIANTS.splice(0, VARIANTS.length, ...kept);
const crop = { valid: Number(process.env.CROPV ?? 284), 'same-bn': Number(process.env.CROPS ?? 160) };
const lr = Number(process.env.LR ?? 0.001);
const profile = { ...PROFILES.quick, name: 'quick' as const, baseWidth: bw, iters, crop, optimizer: { name: 'adam' as const, lr }, seeds: (process.env.SEEDS ?? '1').split(',').map(Number) };
const tag = process.env.TAG ?? `${bw}-${iters}`;
const t0 = Date.now();
const r = await replicate(replication, { profile, dataDir: datasetPath('isbi2012'), runsDir: `/tmp/probe-unet/runs-${tag}`, reportsDir: `/tmp/probe-unet/rep-${tag}` });
for (const x of r) console.log(x.variant, x.seed, x.training_seconds, JSON.stringify(x.metrics));
console.log('total', (Date.now() - t0) / 1000);
