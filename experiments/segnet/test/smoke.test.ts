/** The whole SegNet replication in the `smoke` profile (seconds): val-selected checkpoints, test once, costs, every report file. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_DATA_DIR, initEngine, replicate } from '@seg/core';
import { PROFILES, TABLE1, VARIANTS, type Balancing, type DecoderCost, type RunResult } from '../src/profiles.js';
import { replication } from '../src/replication.js';

describe('SegNet replication, smoke profile', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-segnet-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every variant, keeps the best val checkpoint, scores test, measures decoder costs, writes the report and weights, and reuses finished runs', async () => {
    const o = { profile: PROFILES.smoke, dataDir: path.join(CORE_DATA_DIR, 'camvid-sample'), runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = (await replicate(replication, o)) as RunResult[];
    const results = JSON.parse(readFileSync(path.join(dir, 'reports', 'results.json'), 'utf8')) as { costs: DecoderCost[]; balancing: Balancing };
    const { costs, balancing } = results;
    expect(runs.map((r) => r.variant)).toEqual(VARIANTS.map((v) => v.name));
    for (const r of runs) {
      expect(Object.keys(r.metrics.test).sort()).toEqual(['bf', 'class_avg', 'global', 'miou']);
      expect(Object.keys(r.metrics.val).sort()).toEqual(['bf', 'class_avg', 'global', 'miou']);
      expect(r.val_curve.map((c) => c.iter)).toEqual([1, 2]);
      expect(r.val_curve.map((c) => c.iter)).toContain(r.best_iter);
    }
    // storage: SegNet keeps indices only, the FCN decoders with additions keep maps, the others nothing
    const cost = (n: string) => costs.find((c) => c.variant === n)!;
    expect(cost('SegNet-Basic')).toMatchObject({ map_bytes: 0 });
    expect(cost('SegNet-Basic').index_bytes).toBeGreaterThan(0);
    expect(cost('FCN-Basic')).toMatchObject({ index_bytes: 0 });
    expect(cost('FCN-Basic-NoAddition').storage_bytes).toBe(0);
    for (const c of costs) expect(Math.abs(c.params / 1e6 - TABLE1[c.variant]!.params)).toBeLessThan(0.04);
    expect(balancing.computed).toHaveLength(11);
    for (const f of ['metrics.svg', 'metrics.png', 'loss.svg', 'report.md', 'results.json', 'overlays/ground-truth.png', 'overlays/segnet-basic.png', 'weights/segnet-basic-smoke-s1/model.json', 'weights/segnet-basic-smoke-s1/weights.bin']) {
      expect(existsSync(path.join(dir, 'reports', f)), f).toBe(true);
    }
    const md = readFileSync(path.join(dir, 'reports', 'report.md'), 'utf8');
    for (const paper of ['47.7', '47.3', '43.3', '35.78']) expect(md).toContain(paper);
    // everything that shapes a run is in its config: the tutorial's weights and Caffe's normalisation where median-frequency balanced
    const config = (name: string) => runs.find((r) => r.variant === name)!.config;
    expect(config('SegNet-Basic')).toMatchObject({ training: { schedule: 'constant', lossNormalize: 'pixels', augment: { flip: true, crop: [40, 56] }, checkpointEvery: 1 }, evaluations: 2, evaluation: { classBoundary: true }, data: { dataset: 'camvid', testImages: 2 } });
    expect((config('SegNet-Basic').training as { classWeights: number[] }).classWeights).toHaveLength(11);
    expect(config('SegNet-Basic (natural frequency)').training).not.toHaveProperty('classWeights');
    expect(config('SegNet-Basic').packages).toHaveProperty('@seg/segnet');
    const again = (await replicate(replication, o)) as RunResult[];
    expect(again.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
  });
});
