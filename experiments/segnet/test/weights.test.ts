/**
 * The committed SegNet-Basic weights (reports/segnet/weights/) reproduce the
 * report's test row without training: the same split, downscaling and metrics.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { camvid, downscaled, evaluate, fileSystem, initEngine, subset, tfl } from '@seg/core';

const reports = path.resolve(__dirname, '../../../reports/segnet');

describe('reports/segnet/weights', () => {
  it("evaluate on CamVid test gives the report's G, C, mIoU and BF for that run", async () => {
    await initEngine();
    const results = JSON.parse(readFileSync(path.join(reports, 'results.json'), 'utf8'));
    const p = results.profile;
    const seed = Number(/-s(\d+)$/.exec(results.weights)![1]);
    const run = results.runs.find((r: { variant: string; seed: number }) => r.variant === 'SegNet-Basic' && r.seed === seed);
    const model = await tfl.loadLayersModel(fileSystem(path.join(reports, results.weights)));
    const full = await camvid(path.resolve(__dirname, '../../../../shared/data/camvid'), 'test');
    const test = subset(p.downscale > 1 ? downscaled(full, p.downscale) : full, Array.from({ length: Math.min(p.testImages, full.length) }, (_, i) => i));
    const e = await evaluate(model, test, { classBoundary: true });
    // engines round differently: a few pixels may flip, never a tenth of a point
    expect(Math.abs(e.pixel_acc - run.test.global)).toBeLessThan(1e-3);
    expect(Math.abs(e.mean_acc - run.test.class_avg)).toBeLessThan(1e-3);
    expect(Math.abs(e.miou - run.test.miou)).toBeLessThan(1e-3);
    expect(Math.abs(e.bf! - run.test.bf)).toBeLessThan(1e-3);
    model.dispose();
  });
});
