/** The whole FCN replication in the `smoke` profile (seconds): staged runs, every report file. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_DATA_DIR, engineInfo, initEngine, replicate } from '@seg/core';
import { PROFILES, VARIANTS, variantsOf } from '../src/profiles.js';
import { replication } from '../src/replication.js';

describe('FCN replication, smoke profile', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-fcn-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every variant (staged ones from their coarser run), writes results.json, charts, overlays and report.md, and reuses finished runs', async () => {
    const o = { profile: PROFILES.smoke, dataDir: path.join(CORE_DATA_DIR, 'camvid-sample'), runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = await replicate(replication, o);
    expect(runs.map((r) => r.variant)).toEqual(VARIANTS.map((v) => v.name));
    expect(variantsOf(PROFILES.quick).map((v) => v.name)).toEqual(['FCN-32s', 'FCN-16s (staged)', 'FCN-8s (staged)', 'FCN-32s, continued']);
    for (const r of runs) {
      for (const split of ['test'] as const) {
        expect(Object.keys(r.metrics[split]).sort()).toEqual(['boundary_f1', 'fw_iou', 'mean_acc', 'miou', 'pixel_acc']);
        for (const x of Object.values(r.metrics[split])) expect(x).toBeGreaterThanOrEqual(0);
      }
      expect(r.backend).toBe(engineInfo()!.backend);
      expect(r.engine).toEqual(engineInfo()!.backend === 'tensorflow' ? { backend: 'tensorflow', provider: engineInfo()!.provider, tensorflow: engineInfo()!.version, threads: engineInfo()!.threads } : { backend: engineInfo()!.backend, threads: engineInfo()!.threads });
    }
    expect(runs.find((r) => r.variant === 'FCN-8s (staged)')!.config).toMatchObject({ from: 'fcn-16s-staged-s1', training: { iters: 1, augment: { scale: [0.75, 1.25] } }, data: { dataset: 'camvid' } });
    for (const f of ['metrics.vl.json', 'metrics.svg', 'metrics.png', 'loss.svg', 'report.md', 'results.json', 'overlays/fcn-32s.png', 'overlays/fcn-8s-staged.png', 'overlays/ground-truth.png', 'overlays/skips.png']) {
      expect(existsSync(path.join(dir, 'reports', f)), f).toBe(true);
    }
    const md = readFileSync(path.join(dir, 'reports', 'report.md'), 'utf8');
    for (const paper of ['59.4', '62.4', '62.7', '63.6', '65', '65.5']) expect(md).toContain(paper);
    expect(md.match(/^- /gm)!.length).toBe(6);
    expect(md).toContain('FCN-8s (staged) beats FCN-32s trained for the same total');
    const again = await replicate(replication, o);
    expect(again.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
  });
});
