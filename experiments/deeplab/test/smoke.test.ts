/** The whole DeepLab replication in the `smoke` profile (seconds): every report file is written and well formed. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineInfo, initEngine } from '@seg/core';
import { PROFILES, VARIANTS } from '../src/profiles.js';
import { replicate } from '../src/replicate.js';

describe('DeepLab replication, smoke profile', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-deeplab-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every variant, evaluates with and without CRF and at both output strides, writes the report, and reuses finished runs', async () => {
    const o = { profile: PROFILES.smoke, dataDir: path.resolve(__dirname, '../../../../shared/data/camvid'), runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = await replicate(o);
    expect(runs.map((r) => r.variant)).toEqual(VARIANTS.map((v) => v.name));
    for (const r of runs) {
      const v = VARIANTS.find((x) => x.name === r.variant)!;
      const want = [...(v.evalStrides ?? [8]).map((s) => `os${s}`), ...(v.crf ? ['crf'] : [])].sort();
      expect(Object.keys(r.metrics).sort()).toEqual(want);
      for (const m of Object.values(r.metrics)) {
        for (const x of Object.values(m)) expect(x).toBeGreaterThanOrEqual(0);
        expect(m.miou).toBeLessThanOrEqual(1);
      }
      expect(r.backend).toBe(engineInfo()!.backend);
      expect(r.engine).toEqual(engineInfo()!.backend === 'tensorflow' ? { backend: 'tensorflow', provider: engineInfo()!.provider, tensorflow: engineInfo()!.version, threads: engineInfo()!.threads } : { backend: engineInfo()!.backend, threads: engineInfo()!.threads });
      expect(r.packages['@seg/deeplab']).toBe('0.1.0');
    }
    const results = JSON.parse(readFileSync(path.join(dir, 'reports', 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(VARIANTS.length);
    expect(results.crf.best.bilateral).toMatchObject({ weight: 4, thetaAlpha: 5 });
    for (const f of ['miou.vl.json', 'miou.svg', 'miou.png', 'crf.svg', 'decoder.svg', 'report.md', 'overlays/ground-truth.png', 'overlays/v2-largefov-crf.png', 'overlays/v3-decoder.png']) {
      expect(existsSync(path.join(dir, 'reports', f)), f).toBe(true);
    }
    const md = readFileSync(path.join(dir, 'reports', 'report.md'), 'utf8');
    for (const paper of ['65.76', '69.84', '66.98', '69.73', '68.96', '71.57']) expect(md).toContain(paper);
    expect(md.match(/^- /gm)!.length).toBe(8);
    const again = await replicate(o);
    expect(again.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
  });
});
