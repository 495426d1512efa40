/** The whole replication in the `smoke` profile (seconds): every report file is written and well formed. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_DATA_DIR, engineInfo, initEngine, replicate } from '@seg/core';
import { PROFILES, VARIANTS } from '../src/profiles.js';
import { replication } from '../src/replication.js';

describe('U-Net replication, smoke profile', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-unet-exp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every variant, writes results.json, charts, overlays and report.md, and resumes finished runs', async () => {
    const o = { profile: PROFILES.smoke, dataDir: path.join(CORE_DATA_DIR, 'isbi2012'), runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = await replicate(replication, o);
    expect(runs.map((r) => r.variant)).toEqual(VARIANTS.map((v) => v.name));
    const results = JSON.parse(readFileSync(path.join(dir, 'reports', 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(VARIANTS.length);
    for (const r of results.runs) {
      expect(Object.keys(r.metrics).sort()).toEqual(['boundary_f1', 'miou', 'pixel_error', 'rand_error']);
      for (const v of Object.values(r.metrics) as number[]) expect(v).toBeGreaterThanOrEqual(0);
      expect(r.backend).toBe(engineInfo()!.backend);
      expect(r.engine).toEqual(engineInfo()!.backend === 'tensorflow' ? { backend: 'tensorflow', provider: engineInfo()!.provider, tensorflow: engineInfo()!.version, threads: engineInfo()!.threads } : { backend: engineInfo()!.backend, threads: engineInfo()!.threads });
      expect(r.config).toMatchObject({ profile: 'smoke', seed: 1 });
      expect(r.packages['@seg/unet']).toBe('0.1.0');
    }
    for (const f of ['metrics.vl.json', 'metrics.svg', 'metrics.png', 'loss.vl.json', 'loss.svg', 'loss.png', 'report.md']) {
      expect(existsSync(path.join(dir, 'reports', f)), f).toBe(true);
    }
    expect(readFileSync(path.join(dir, 'reports', 'metrics.svg'), 'utf8')).toContain('<svg');
    const md = readFileSync(path.join(dir, 'reports', 'report.md'), 'utf8');
    expect(md).toContain('0.0382');
    expect(md.match(/^- \*\*/gm)).toHaveLength(3);
    // a second replicate reuses the finished runs
    const again = await replicate(replication, o);
    expect(again.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
    // and a fresh one (new run folders) reproduces them: seeded weights, batches and augmentation
    const fresh = await replicate(replication, { ...o, runsDir: path.join(dir, 'runs2'), reportsDir: path.join(dir, 'reports2') });
    expect(fresh.map((r) => r.metrics)).toEqual(runs.map((r) => r.metrics));
  });
});
