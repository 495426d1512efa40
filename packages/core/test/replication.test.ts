/**
 * The one replication runner on a toy paper: the recorded config is the whole
 * run (a changed augmentation makes a finished run `missing`), a run with
 * `after` starts from that run's trained net, results.json carries the
 * definition's header and merge fields, and --report's re-render reads it.
 * Claims: paired and unpaired verdicts against hand-computed numbers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimVerdict, conv, initEngine, judgeClaim, meanSd, planReplication, replicate, rewriteReport, runStatus, syntheticDataset, tfl, type Claim, type ReplicationDefinition } from '../src/index.js';

interface Profile {
  name: string;
  seeds: number[];
  scale: [number, number];
}
interface Variant {
  name: string;
  from?: string;
}

const VARIANTS: Variant[] = [{ name: 'base' }, { name: 'wider' }, { name: 'base, continued', from: 'base' }];
const started: string[] = [];
const reports: { file: string; runs: number; extra: unknown }[] = [];

const definition: ReplicationDefinition<Profile, Variant, { train: ReturnType<typeof syntheticDataset> }, { test: { miou: number } }> = {
  paper: 'toy',
  dataset: 'isbi2012',
  from: import.meta.url,
  packages: [],
  profiles: { smoke: { name: 'smoke', seeds: [1, 2], scale: [0.8, 1.2] } },
  data: () => ({ train: syntheticDataset({ count: 4, height: 24, width: 24, classes: 3, seed: 5 }) }),
  trainSet: async (d) => d.train,
  grid: (p) => p.seeds.flatMap((seed) => VARIANTS.map((v) => ({ name: v.name, variant: v, seed, ...(v.from ? { after: { name: v.from, seed } } : {}) }))),
  setup: (p, run) => ({
    model: { filters: run.variant.name === 'wider' ? 4 : 2, seed: run.seed },
    training: { iters: 2, batchSize: 2, optimizer: { name: 'adam', lr: 0.01 }, augment: { flip: true, scale: p.scale, crop: [16, 16] }, checkpointEvery: 2, logEvery: 1, quiet: true },
    data: { images: 4 },
  }),
  build: (s) => {
    const input = tfl.input({ shape: [null, null, 3] });
    return tfl.model({ inputs: input, outputs: conv(conv(input, s.model.filters as number, { kernel: 3 }), 3, { kernel: 1 }) });
  },
  start: (_model, _from, run) => void started.push(`${run.name} ${run.seed}`),
  score: async (model, run) => ({ metrics: { test: { miou: model.countParams() / 1000 + run.seed / 100 } } }),
  claims: [],
  merge: async ({ runs }) => ({ merged: runs.length }),
  header: () => ({ paper: 'A toy paper' }),
  writeReport: async (dir, r) => void reports.push({ file: path.join(dir, 'results.json'), runs: r.runs.length, extra: r.merged }),
};

describe('the replication runner', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine({ backend: 'cpu', force: true });
    dir = mkdtempSync(path.join(tmpdir(), 'seg-replication-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the whole run, starts a chained run from its predecessor, and merges into results.json', async () => {
    const o = { profile: definition.profiles.smoke!, dataDir: dir, runsDir: path.join(dir, 'runs'), reportsDir: path.join(dir, 'reports'), log: () => {} };
    const runs = await replicate(definition, o);
    expect(runs.map((r) => `${r.variant} ${r.seed}`)).toEqual(['base 1', 'wider 1', 'base, continued 1', 'base 2', 'wider 2', 'base, continued 2']);
    expect(started).toEqual(['base, continued 1', 'base, continued 2']);
    const c = runs[2]!.config as Record<string, unknown>;
    expect(c).toMatchObject({ profile: 'smoke', variant: 'base, continued', seed: 1, from: 'base-s1', model: { filters: 2 }, training: { iters: 2, augment: { flip: true, scale: [0.8, 1.2], crop: [16, 16] } } });
    expect(c.data).toMatchObject({ dataset: 'isbi2012', images: 4 });
    expect((c.data as { source: string }).source).toMatch(/^https:\/\/.*\/[0-9a-f]{40}\/$/);
    expect(Object.keys(c.packages as object)).toEqual(['@seg/core', '@tensorflow/tfjs-core']);
    expect(runs[1]!.metrics.test.miou).toBeGreaterThan(runs[0]!.metrics.test.miou);
    expect(runs[0]).toMatchObject({ backend: 'cpu', engine: { backend: 'cpu' } });
    expect(runs[0]!.loss_curve).toHaveLength(2);

    const json = JSON.parse(readFileSync(path.join(dir, 'reports', 'results.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(['paper', 'profile', 'merged', 'runs']);
    expect(json.merged).toBe(6);
    expect(reports).toEqual([{ file: path.join(dir, 'reports', 'results.json'), runs: 6, extra: 6 }]);
    await rewriteReport(definition, path.join(dir, 'reports'));
    expect(reports).toHaveLength(2);

    // A changed augmentation is another run: every finished one is `missing` for it.
    const changed = await planReplication(definition, { ...o, profile: { ...o.profile, scale: [0.5, 2] } });
    expect(changed.runs.map((r) => runStatus(changed.runsDir, r))).toEqual(changed.runs.map(() => 'missing'));
    const same = await planReplication(definition, o);
    expect(same.runs.map((r) => runStatus(same.runsDir, r))).toEqual(same.runs.map(() => 'done'));
  }, 120_000);
});

describe('claims', () => {
  const run = (variant: string, seed: number, miou: number, crf: number, diverged?: string) => ({ variant, seed, metrics: { test: { miou, crf: { miou: crf } } }, ...(diverged ? { diverged } : {}) });
  const runs = [run('a', 1, 1, 0.5), run('a', 2, 2, 1.4), run('a', 3, 3, 2.1), run('b', 1, 0.2, 0), run('b', 2, 0.1, 0), run('b', 3, 0.3, 0), run('b', 4, 99, 0, 'loss NaN')];

  it('judges runs trained apart with Welch over seeds, leaving diverged runs out', () => {
    const claim: Claim = { id: 'a > b', a: 'a', b: 'b', metric: 'test.miou', paired: false, unit: ' points' };
    expect(judgeClaim(runs, claim)).toBe(claimVerdict(meanSd([1, 2, 3]), meanSd([0.2, 0.1, 0.3]), { unit: ' points', digits: 2 }));
  });

  it('judges two readouts of the same nets with the paired t-test over seeds', () => {
    // d = [0.5, 0.6, 0.9]: mean 2/3, sd sqrt(0.13/3), t = 5.547 on 2 df; with 2 df the two-sided p is 1 - t / sqrt(2 + t^2).
    const claim: Claim = { id: 'crf off > on', a: 'a', b: 'a', metric: 'test.miou', metricB: 'test.crf.miou', paired: true };
    const t = (2 / 3) / (Math.sqrt(0.13 / 3) / Math.sqrt(3));
    const p = 1 - t / Math.sqrt(2 + t * t);
    expect(p).toBeCloseTo(0.031, 3);
    expect(judgeClaim(runs, claim)).toBe(`held (2.00 vs 1.33, paired difference +0.67 over 3 seeds; paired t = ${t.toFixed(2)}, p = ${p.toPrecision(2)})`);
    expect(judgeClaim(runs, { ...claim, lowerIsBetter: true })).toMatch(/^did not hold: the opposite held/);
    expect(judgeClaim(runs.slice(0, 1), claim)).toMatch(/^not tested: 1 paired seed/);
  });
});
