/**
 * The committed SegNet-Basic weights (reports/segnet/weights/) load and
 * segment real CamVid test images. The report's whole test row is
 * recomputed by `pnpm --filter segnet run check:weights` (it needs all 233
 * test images: `seg data get camvid`); here the CamVid sample's test images
 * must be segmented better than the best constant answer, which weights that
 * failed to load (or loaded into the wrong layers) do not manage.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { camvid, CORE_DATA_DIR, downscaled, evaluate, fileSystem, initEngine, tfl } from '@seg/core';

const reports = path.resolve(__dirname, '../../../reports/segnet');

describe('reports/segnet/weights', () => {
  it('segments the sample\'s CamVid test images better than the most frequent class everywhere', async () => {
    await initEngine();
    const results = JSON.parse(readFileSync(path.join(reports, 'results.json'), 'utf8'));
    const p = results.profile;
    const model = await tfl.loadLayersModel(fileSystem(path.join(reports, results.weights)));
    const full = await camvid(path.join(CORE_DATA_DIR, 'camvid-sample'), 'test');
    const test = p.downscale > 1 ? downscaled(full, p.downscale) : full;
    const e = await evaluate(model, test, {});
    // the constant answer's pixel accuracy: the share of the most frequent class among labelled pixels
    const counts = new Array<number>(11).fill(0);
    for (let i = 0; i < test.length; i++) for (const v of (await test.get(i)).mask) if (v < 11) counts[v]!++;
    const constant = Math.max(...counts) / counts.reduce((a, b) => a + b, 0);
    expect(e.pixel_acc).toBeGreaterThan(constant + 0.05);
    expect(e.miou).toBeGreaterThan(Math.max(...counts) / counts.reduce((a, b) => a + b, 0) / 11);
    model.dispose();
  });
});
