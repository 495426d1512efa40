/**
 * The trainer: a killed and resumed run ends with the same weights as an
 * uninterrupted one; a NaN loss stops the run and keeps the last good
 * checkpoint; the JSONL log records the run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLoader, conv, convBnRelu, initEngine, lossCurve, seededBuild, syntheticDataset, tf, tfl, train, TrainingDiverged, trainOrDiverged, type Sample, type TrainConfig } from '../src/index.js';
import { relErr } from './helpers.js';

function smallNet(seed: number) {
  return seededBuild(seed, () => {
    const input = tfl.input({ shape: [24, 24, 3] });
    const x = convBnRelu(input, 6);
    return tfl.model({ inputs: input, outputs: conv(convBnRelu(x, 6, { dilation: 2 }), 3, { kernel: 1 }) });
  });
}

const data = syntheticDataset({ count: 10, height: 32, width: 32, classes: 3, seed: 5 });

function config(runDir: string, extra: Partial<TrainConfig> = {}): TrainConfig {
  return {
    iters: 6,
    batchSize: 2,
    optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    seed: 3,
    augment: { crop: [24, 24], flip: true, scale: [0.8, 1.2] },
    checkpointEvery: 3,
    logEvery: 1,
    runDir,
    quiet: true,
    ...extra,
  };
}

class Killed extends Error {}

describe('trainer', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-train-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('precompute runs once per training image, before augmentation, and its weights are augmented with the mask', async () => {
    const seen = new Map<string, number>();
    const loader = new BatchLoader(data, 2, 3, { crop: [24, 24], flip: true }, undefined, (s: Sample) => {
      seen.set(s.id, (seen.get(s.id) ?? 0) + 1);
      expect([s.width, s.height]).toEqual([32, 32]);
      return { ...s, weights: Float32Array.from(s.mask, (m) => m + 1) };
    });
    for (let iter = 0; iter < 15; iter++) {
      for (const s of await loader.samples(iter)) {
        expect(s.width).toBe(24);
        s.mask.forEach((m, i) => expect(s.weights![i]).toBe(m === 255 ? 0 : m + 1));
      }
    }
    // 30 samples drawn from 10 images: each image prepared exactly once.
    expect(seen.size).toBe(10);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it('a run killed after a checkpoint and resumed ends with the same weights as an uninterrupted run', async () => {
    const straight = smallNet(1);
    const a = await train(straight, data, config(path.join(dir, 'a')));
    expect(a.iters).toBe(6);

    const first = smallNet(1);
    // the loader prefetches iteration 4's samples (positions 6, 7) while step 3 runs; failing there kills the run after the iteration-3 checkpoint
    const kill = (s: Sample) => {
      if (Number(s.id.split('-').pop()) >= 0 && killSwitch.on && killSwitch.count++ >= 6) throw new Killed('killed');
      return s;
    };
    const killSwitch = { on: true, count: 0 };
    await expect(train(first, data, config(path.join(dir, 'b'), { prepare: kill }))).rejects.toThrow(Killed);
    const state = JSON.parse(readFileSync(path.join(dir, 'b', 'checkpoint', 'state.json'), 'utf8'));
    expect(state.iter).toBe(3);

    // a new process would build the model afresh: different initial weights, restored from the checkpoint
    const resumedModel = smallNet(99);
    const b = await train(resumedModel, data, config(path.join(dir, 'b')));
    expect(b.resumedFrom).toBe(3);
    expect(b.iters).toBe(6);
    const wa = straight.getWeights();
    const wb = resumedModel.getWeights();
    expect(wb.length).toBe(wa.length);
    wa.forEach((w, i) => expect(relErr(wb[i]!.dataSync(), w.dataSync())).toBeLessThan(1e-6));
    expect(b.loss).toBeCloseTo(a.loss, 5);

    const log = readFileSync(path.join(dir, 'a', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((l) => l.iter)).toEqual([1, 2, 3, 4, 5, 6]);
    // poly schedule: lr decreases to the last step
    expect(log[5].lr).toBeLessThan(log[0].lr);
  });

  it('Adam: a run killed after a checkpoint and resumed ends with bit-identical weights (the bias corrections restored as the steps built them)', async () => {
    // 30 steps, a checkpoint every 13: tfjs's one pow gives 0.9^14 one float32 step off the stepped product (not so at 10).
    const adam = { optimizer: { name: 'adam' as const, lr: 0.01 }, iters: 30, checkpointEvery: 13 };
    const straight = smallNet(1);
    await train(straight, data, config(path.join(dir, 'adam-a'), adam));
    const killSwitch = { count: 0 };
    const kill = (s: Sample) => {
      // batches of 2, one prefetched: dies while step 15 runs, after the iteration-13 checkpoint
      if (killSwitch.count++ >= 30) throw new Killed('killed');
      return s;
    };
    await expect(train(smallNet(1), data, config(path.join(dir, 'adam-b'), { ...adam, prepare: kill }))).rejects.toThrow(Killed);
    const resumedModel = smallNet(99);
    const b = await train(resumedModel, data, config(path.join(dir, 'adam-b'), adam));
    expect(b.resumedFrom).toBe(13);
    const wa = straight.getWeights();
    resumedModel.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(wa[i]!.dataSync())));
  });

  it('a NaN loss stops the run with a clear message and keeps the last good checkpoint', async () => {
    let count = 0;
    const poison = (s: Sample) => (count++ >= 8 ? { ...s, image: new Float32Array(s.image.length).fill(NaN) } : s);
    const run = path.join(dir, 'nan');
    const err = await train(smallNet(1), data, config(run, { prepare: poison })).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDiverged);
    expect(err.message).toBe(`Training diverged: the loss became NaN at iteration 5; stopped without updating the weights. The last good checkpoint (iteration 3) is kept in ${path.join(run, 'checkpoint')}.`);
    const state = JSON.parse(readFileSync(path.join(run, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.iter).toBe(3);
    expect(Number.isFinite(state.loss)).toBe(true);
    expect(existsSync(path.join(run, 'checkpoint', 'model', 'weights.bin'))).toBe(true);
  });

  it('trainOrDiverged: a diverged run is a result with its message, a finished one its time; any other failure still throws', async () => {
    const said: string[] = [];
    let count = 0;
    const poison = (s: Sample) => (count++ >= 8 ? { ...s, image: new Float32Array(s.image.length).fill(NaN) } : s);
    const diverged = await trainOrDiverged(smallNet(1), data, config(path.join(dir, 'or-diverged'), { prepare: poison }), (m) => said.push(m));
    expect(diverged.seconds).toBe(0);
    expect(diverged.diverged).toMatch(/^Training diverged: the loss became NaN at iteration 5;/);
    expect(said).toEqual([diverged.diverged]);
    const fine = await trainOrDiverged(smallNet(1), data, config(path.join(dir, 'or-fine'), { iters: 4 }));
    expect(fine.diverged).toBeUndefined();
    expect(fine.seconds).toBeGreaterThan(0);
    // results.json's loss curve: one entry per logged iteration, iteration and loss only.
    const curve = await lossCurve(path.join(dir, 'or-fine'));
    expect(curve.map((c) => c.iter)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(curve[0]!).sort()).toEqual(['iter', 'loss']);
    const broken = (s: Sample) => {
      if (s) throw new RangeError('a broken sample');
      return s;
    };
    await expect(trainOrDiverged(smallNet(1), data, config(path.join(dir, 'or-broken'), { prepare: broken }))).rejects.toThrow(RangeError);
  });

  it('Adam with a constant rate trains too', async () => {
    const r = await train(smallNet(2), data, config(path.join(dir, 'adam'), { iters: 20, optimizer: { name: 'adam', lr: 0.01 }, schedule: 'constant' }));
    const log = readFileSync(path.join(dir, 'adam', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.every((l) => l.lr === 0.01)).toBe(true);
    expect(r.loss).toBeLessThan(log[0].loss);
  });

  it('the loss drops over 40 iterations and no tensors leak', async () => {
    const model = smallNet(4);
    const before = tf.memory().numTensors;
    const r = await train(model, data, config(path.join(dir, 'c'), { iters: 40, checkpointEvery: 40, logEvery: 5 }));
    expect(tf.memory().numTensors).toBe(before);
    const log = readFileSync(path.join(dir, 'c', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const firstTwo = (log[0].loss + log[1].loss) / 2;
    expect(r.loss).toBeLessThan(0.85 * firstTwo);
  });
});
