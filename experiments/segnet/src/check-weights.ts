/**
 * `pnpm --filter segnet run check:weights`: the committed SegNet-Basic
 * weights (reports/segnet/weights/) recompute the report's CamVid test row
 * without training: the same split, downscaling and metrics. CamVid comes
 * through seg data (fetched first when missing, 187 MB).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { camvid, downscaled, ensureDataset, evaluate, fileSystem, initEngine, subset, tfl } from '@seg/core';
import { asRun, type StoredRun } from './profiles.js';

const reports = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../reports/segnet');
const results = JSON.parse(readFileSync(path.join(reports, 'results.json'), 'utf8'));
const p = results.profile;
const seed = Number(/-s(\d+)$/.exec(results.weights)![1]);
// results.json in the runner's shape (metrics.test) or the one before it (test)
const run = (results.runs as StoredRun[]).map(asRun).find((r) => r.variant === 'SegNet-Basic' && r.seed === seed)!;
const full = await camvid(await ensureDataset('camvid', { fetchUpTo: 200e6 }), 'test');
await initEngine();
const model = await tfl.loadLayersModel(fileSystem(path.join(reports, results.weights)));
const test = subset(p.downscale > 1 ? downscaled(full, p.downscale) : full, Array.from({ length: Math.min(p.testImages, full.length) }, (_, i) => i));
const e = await evaluate(model, test, { classBoundary: true });
// engines round differently: a few pixels may flip, never a tenth of a point
const { test: want } = run.metrics;
const rows: [string, number, number][] = [['G', e.pixel_acc, want.global], ['C', e.mean_acc, want.class_avg], ['mIoU', e.miou, want.miou], ['BF', e.bf!, want.bf]];
let off = 0;
for (const [name, got, want] of rows) {
  const ok = Math.abs(got - want) < 1e-3;
  if (!ok) off++;
  process.stdout.write(`${name.padEnd(5)} ${(100 * got).toFixed(2)}  report ${(100 * want).toFixed(2)}  ${ok ? 'ok' : 'DIFFERS'}\n`);
}
process.exitCode = off ? 1 : 0;
