/** The whole DeepLab replication in the `smoke` profile: every report file is written and well formed. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_DATA_DIR, engineInfo, initEngine } from '@seg/core';
import { PROFILES } from '../src/profiles.js';
import { replicate, variantsOf } from '../src/replicate.js';

describe('DeepLab replication, smoke profile', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-deeplab-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains every net from ImageNet and from scratch, evaluates val and test (CRF, both output strides), writes the report, and reuses finished runs', async () => {
    const o = { profile: PROFILES.smoke, dataDir: path.join(CORE_DATA_DIR, 'camvid-sample'), runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = await replicate(o);
    const variants = variantsOf(PROFILES.smoke);
    expect(variants.some((v) => v.model.backbone === 'vgg16')).toBe(false);
    expect(runs.map((r) => `${r.variant}/${r.init}`)).toEqual(variants.flatMap((v) => v.inits.map((i) => `${v.name}/${i}`)));
    for (const r of runs) {
      const v = variants.find((x) => x.name === r.variant)!;
      const want = [...(v.evalStrides ?? [v.model.outputStride ?? 8]).map((s) => `os${s}`), ...(v.crf ? ['crf'] : [])].sort();
      for (const split of ['val', 'test'] as const) {
        expect(Object.keys(r.metrics[split]).sort()).toEqual(want);
        for (const m of Object.values(r.metrics[split])) {
          for (const x of Object.values(m)) expect(x).toBeGreaterThanOrEqual(0);
          expect(m.miou).toBeLessThanOrEqual(1);
        }
      }
      expect((r.config.model as { pretrained: string | null }).pretrained).toBe(r.init === 'imagenet' ? 'imagenet' : null);
      expect((r.config.lrMultipliers as unknown[]).length).toBe(r.init === 'imagenet' ? 1 : 0);
      expect(r.backend).toBe(engineInfo()!.backend);
      expect(r.packages['@seg/deeplab']).toBe('0.1.0');
    }
    const results = JSON.parse(readFileSync(path.join(dir, 'reports', 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(runs.length);
    expect(results.crf.imagenet.best.bilateral).toMatchObject({ weight: 4, thetaAlpha: 5 });
    expect(results.crf.scratch.best.bilateral).toMatchObject({ weight: 4, thetaAlpha: 5 });
    for (const f of ['miou.vl.json', 'miou.svg', 'miou.png', 'crf.svg', 'decoder.svg', 'report.md', 'overlays/ground-truth.png', 'overlays/v2-aspp-l-resnet-50-imagenet-crf.png', 'overlays/v3-decoder-from-scratch.png']) {
      expect(existsSync(path.join(dir, 'reports', f)), f).toBe(true);
    }
    const md = readFileSync(path.join(dir, 'reports', 'report.md'), 'utf8');
    for (const text of ['65.76', '69.84', '66.98', '69.73', '68.96', '71.57', 'Goal: DeepLab v3+', 'ImageNet pre-training matters']) expect(md).toContain(text);
    expect(md).not.toContain('NaN');
    const again = await replicate(o);
    expect(again.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
  }, 900_000);
});
