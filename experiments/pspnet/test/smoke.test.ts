/** The whole PSPNet replication in the `smoke` profile: every run, the val choice, test once, every report file. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_DATA_DIR, engineInfo, initEngine } from '@seg/core';
import { PROFILES, VARIANTS, seedsOf } from '../src/profiles.js';
import { chooseOnVal, replicate } from '../src/replicate.js';

describe('PSPNet replication, smoke profile', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-pspnet-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains Table 2 and Table 1, scores val, evaluates test for the variant chosen on val only, writes the report, and reuses finished runs', async () => {
    const o = { profile: PROFILES.smoke, dataDir: path.join(CORE_DATA_DIR, 'camvid-sample'), runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = await replicate(o);
    expect(runs.map((r) => `${r.variant}/${r.seed}`)).toEqual(VARIANTS.flatMap((v) => seedsOf(v, PROFILES.smoke).map((s) => `${v.name}/${s}`)));
    const chosen = chooseOnVal(runs);
    expect(chosen).toBeDefined();
    for (const r of runs) {
      const v = VARIANTS.find((x) => x.name === r.variant)!;
      expect(r.metrics!.val.miou).toBeGreaterThanOrEqual(0);
      expect(r.metrics!.val.miou).toBeLessThanOrEqual(1);
      expect(r.metrics!.test !== undefined).toBe(r.variant === chosen);
      expect(r.config.auxiliaryLosses).toEqual(v.alpha === null ? {} : { aux_upsample: v.alpha });
      expect((r.config.model as { auxiliary: boolean }).auxiliary).toBe(v.alpha !== null);
      expect(r.backend).toBe(engineInfo()!.backend);
      expect(r.packages['@seg/pspnet']).toBe('0.1.0');
    }
    const results = JSON.parse(readFileSync(path.join(dir, 'reports', 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(runs.length);
    expect(results.chosen_on_val).toBe(chosen);
    for (const f of ['alpha.vl.json', 'alpha.svg', 'pooling.svg', 'report.md', 'overlays/ground-truth.png', 'overlays/b1236-ave-dr.png', 'overlays/baseline-no-auxiliary-loss.png']) {
      expect(existsSync(path.join(dir, 'reports', f)), f).toBe(true);
    }
    const md = readFileSync(path.join(dir, 'reports', 'report.md'), 'utf8');
    for (const text of ['35.82', '37.23', '41.68', 'ADE20K', '0.4 vs 0.9', 'Goal: the best PSPNet variant', `The best variant on val is **${chosen}**`]) expect(md).toContain(text);
    expect(md).not.toContain('NaN');
    const again = await replicate(o);
    expect(again.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
  }, 900_000);
});
