/**
 * What a run folder guarantees (issue 15): only finite checkpoints are
 * written and read; one run writes a folder at a time; a killed write is
 * cleaned up or recovered; every checkpoint file that is wrong is named; the
 * log has one line per iteration after a resume; one seed gives one net and
 * one run; datasets are checked before the first step; running out of
 * memory and out of disk are one sentence each.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asOutOfMemory,
  atomicWriteFile,
  conv,
  convBnRelu,
  dropout,
  fileSystem,
  imageFolder,
  initEngine,
  InputError,
  isOutOfMemory,
  lockRunDir,
  mixSeed,
  OutOfMemory,
  registerModel,
  modelSpec,
  RunFailure,
  seededBuild,
  setNoiseStep,
  syntheticDataset,
  tf,
  tfl,
  train,
  TrainingDiverged,
  writeError,
  writePng,
  type Sample,
  type TrainConfig,
} from '../src/index.js';
import { engineName } from './helpers.js';

/** A small net with dropout: built without explicit seeds, so only seededBuild can make it reproducible. */
function net(withDropout = false) {
  const input = tfl.input({ shape: [null, null, 3] });
  let x = convBnRelu(input, 6);
  if (withDropout) x = dropout(x, 0.5, { name: 'drop' });
  return tfl.model({ inputs: input, outputs: conv(convBnRelu(x, 6, { dilation: 2 }), 3, { kernel: 1 }) });
}

const data = syntheticDataset({ count: 8, height: 24, width: 24, classes: 3, seed: 5 });

function config(runDir: string, extra: Partial<TrainConfig> = {}): TrainConfig {
  return {
    iters: 6,
    batchSize: 2,
    optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    seed: 3,
    augment: { crop: [20, 20], flip: true },
    checkpointEvery: 3,
    logEvery: 1,
    runDir,
    quiet: true,
    ...extra,
  };
}

const weightsOf = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const allFinite = (m: tfl.LayersModel) => m.getWeights().every((w) => Array.from(w.dataSync()).every(Number.isFinite));

async function loadSaved(runDir: string) {
  return tfl.loadLayersModel(fileSystem(path.join(runDir, 'checkpoint', 'model')));
}

describe('run folders', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-reliable-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a diverging run (lr 1e12) never writes a checkpoint with non-finite weights, and says which checkpoint is good', async () => {
    const run = path.join(dir, 'diverge');
    const err = await seededBuild(1, () => train(net(), data, config(run, { iters: 20, checkpointEvery: 1, optimizer: { name: 'sgd', lr: 1e12, momentum: 0.9 } }))).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDiverged);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/^Training diverged: .*(The last good checkpoint \(iteration \d+\) is kept in .*checkpoint\.|No checkpoint was written \(none had finite weights\)\.)$/);
    if (existsSync(path.join(run, 'checkpoint'))) {
      const saved = await loadSaved(run);
      expect(allFinite(saved)).toBe(true);
      const state = JSON.parse(readFileSync(path.join(run, 'checkpoint', 'state.json'), 'utf8'));
      expect(err.message).toContain(`(iteration ${state.iter})`);
    }
    // the weights overflowed while the loss was still finite: caught where the checkpoint is written
    expect(err.message).toMatch(/^Training diverged: \d+ weights and \d+ optimizer values are not finite after iteration \d+, so no checkpoint was written for it\./);
  });

  it('a checkpoint with non-finite weights (written by an older seg) is refused in one sentence', async () => {
    const run = path.join(dir, 'poisoned');
    const model = seededBuild(1, () => net());
    await train(model, data, config(run, { iters: 3 }));
    const weights = model.getWeights().map((w, i) => (i === 0 ? tf.fill(w.shape, Infinity) : w));
    model.setWeights(weights);
    await model.save(fileSystem(path.join(run, 'checkpoint', 'model')));
    const err = await train(seededBuild(1, () => net()), data, config(run)).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(`Checkpoint ${path.join(run, 'checkpoint')} holds ${weights[0]!.size} weights that are not finite (it was saved after training diverged); it cannot be used.`);
  });

  it('a run folder is locked: a second run on it refuses in one sentence; a lock left by a dead process is taken over', async () => {
    const run = path.join(dir, 'locked');
    const [a, b] = await Promise.allSettled([
      train(seededBuild(1, () => net()), data, config(run, { iters: 4 })),
      train(seededBuild(1, () => net()), data, config(run, { iters: 4 })),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    const reason = (b as PromiseRejectedResult).reason as InputError;
    expect(reason).toBeInstanceOf(InputError);
    expect(reason.message).toMatch(new RegExp(`^Run folder ${run.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another run \\(this process, since .*\\); wait for it to finish or give another --out\\.$`));
    // the lock is released when the run ends
    expect(existsSync(path.join(run, '.lock'))).toBe(false);

    // a process that held the lock and died: its pid no longer runs
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(path.join(run, '.lock'), JSON.stringify({ pid: Number(dead.stdout), host: (await import('node:os')).hostname(), started: '2026-01-01T00:00:00.000Z' }));
    const lock = lockRunDir(run);
    expect(JSON.parse(readFileSync(path.join(run, '.lock'), 'utf8')).pid).toBe(process.pid);
    expect(() => lockRunDir(run)).toThrow(InputError);
    lock.release();
    expect(existsSync(path.join(run, '.lock'))).toBe(false);
    // a half-written lock file (its writer killed mid-write) is stale too
    writeFileSync(path.join(run, '.lock'), '{"pid": 12');
    lockRunDir(run).release();
  });

  it('each wrong checkpoint file gets one sentence naming it, and the run is not restarted from zero', async () => {
    const good = path.join(dir, 'good');
    await train(seededBuild(1, () => net()), data, config(good, { iters: 3 }));
    const ck = (run: string, ...p: string[]) => path.join(run, 'checkpoint', ...p);
    const cases: [string, (run: string) => void, string][] = [
      ['missing weights.bin', (r) => rmSync(ck(r, 'model', 'weights.bin')), `${ck('@RUN@', 'model', 'weights.bin')} is missing`],
      ['truncated weights.bin', (r) => truncateSync(ck(r, 'model', 'weights.bin'), 10), `${ck('@RUN@', 'model', 'weights.bin')} holds 10 bytes but model.json describes`],
      ['missing optimizer.bin', (r) => rmSync(ck(r, 'optimizer.bin')), `Checkpoint file ${ck('@RUN@', 'optimizer.bin')} is missing`],
      ['truncated optimizer.bin', (r) => truncateSync(ck(r, 'optimizer.bin'), 7), `Checkpoint file ${ck('@RUN@', 'optimizer.bin')} holds 7 bytes but`],
      ['invalid optimizer.json', (r) => writeFileSync(ck(r, 'optimizer.json'), '{"specs": '), `Checkpoint file ${ck('@RUN@', 'optimizer.json')} is not valid JSON`],
      ['optimizer.json without specs', (r) => writeFileSync(ck(r, 'optimizer.json'), '{"config": {}}'), `Checkpoint file ${ck('@RUN@', 'optimizer.json')} has no valid "specs"`],
      ['model.json without topology', (r) => writeFileSync(ck(r, 'model', 'model.json'), JSON.stringify({ weightsManifest: [] })), `${ck('@RUN@', 'model', 'model.json')} holds no model topology`],
      ['state.json with wrong types', (r) => writeFileSync(ck(r, 'state.json'), '{"iter": "3", "loss": 1, "seconds": 0}'), `Checkpoint file ${ck('@RUN@', 'state.json')} must hold { iter: integer >= 0, loss: number, seconds: number }`],
      ['missing state.json', (r) => rmSync(ck(r, 'state.json')), `Checkpoint file ${ck('@RUN@', 'state.json')} is missing`],
    ];
    for (const [name, breakIt, message] of cases) {
      const run = path.join(dir, `broken-${name.replace(/\W+/g, '-')}`);
      cpSync(good, run, { recursive: true });
      breakIt(run);
      writeFileSync(path.join(run, 'config.json'), 'the old config');
      const err = await train(seededBuild(1, () => net()), data, config(run, { record: { new: true } })).catch((e) => e);
      expect(err, name).toBeInstanceOf(InputError);
      expect(err.message, name).toContain(message.replace('@RUN@', run));
      expect(err.message.split('\n'), name).toHaveLength(1);
      // a refused resume leaves the run's files as they were
      expect(readFileSync(path.join(run, 'config.json'), 'utf8'), name).toBe('the old config');
    }
  });

  it('a kill inside a checkpoint write: temporary folders are removed, and a checkpoint moved aside is restored', async () => {
    const run = path.join(dir, 'killed-write');
    await train(seededBuild(1, () => net()), data, config(run, { iters: 3 }));
    // killed while filling the new folder: a partial temporary copy stays behind
    mkdirSync(path.join(run, 'checkpoint.tmp-4242-1700000000000', 'model'), { recursive: true });
    writeFileSync(path.join(run, 'checkpoint.tmp-4242-1700000000000', 'model', 'weights.bin'), Buffer.alloc(1000));
    writeFileSync(path.join(run, 'config.json.tmp-4242'), '{"half');
    // killed between the two renames: the last checkpoint is aside, the new one not yet in place
    renameSync(path.join(run, 'checkpoint'), path.join(run, 'checkpoint.old-4242-1700000000001'));
    const r = await train(seededBuild(1, () => net()), data, config(run, { iters: 6 }));
    expect(r.resumedFrom).toBe(3);
    expect(readdirSync(run).sort()).toEqual(['checkpoint', 'log.jsonl']);
  });

  it('after a resume the log holds each iteration once, and a line cut by a kill is dropped', async () => {
    const run = path.join(dir, 'log');
    await train(seededBuild(1, () => net()), data, config(run, { iters: 3 }));
    // a kill at iteration 5, after its log lines but before the next checkpoint, with half a line written
    const log = path.join(run, 'log.jsonl');
    writeFileSync(log, `${readFileSync(log, 'utf8')}{"iter":4,"loss":1,"lr":0.1,"seconds":1}\n{"iter":5,"loss":1,"lr":0.1,"seconds":1}\n{"iter":6,"lo`);
    await train(seededBuild(1, () => net()), data, config(run, { iters: 6 }));
    const iters = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).iter);
    expect(iters).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a full disk is one sentence naming the file (the log here is /dev/full)', async () => {
    const run = path.join(dir, 'full');
    mkdirSync(run, { recursive: true });
    symlinkSync('/dev/full', path.join(run, 'log.jsonl'));
    const err = await train(seededBuild(1, () => net()), data, config(run, { iters: 2 })).catch((e) => e);
    expect(err).toBeInstanceOf(RunFailure);
    expect(err.message).toBe(`No space left on the device while writing ${path.join(run, 'log.jsonl')}; free some space (or choose another --out) and run again.`);
    let real: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (e) {
      real = e;
    }
    expect(writeError(real, 'out/report.md').message).toBe('No space left on the device while writing out/report.md; free some space (or choose another --out) and run again.');
    await expect(atomicWriteFile(path.join(dir, 'no-such-dir', 'x.json'), '{}')).rejects.toThrow(`Cannot write ${path.join(dir, 'no-such-dir', 'x.json')}: ENOENT`);
  });
});

describe('seeds', () => {
  beforeAll(() => initEngine());

  it('seededBuild gives the same weights for the same seed (0 included) and different weights for another', () => {
    const a = weightsOf(seededBuild(0, () => net(true)));
    const b = weightsOf(seededBuild(0, () => net(true)));
    const c = weightsOf(seededBuild(1, () => net(true)));
    expect(b).toEqual(a);
    expect(c[0]).not.toEqual(a[0]);
    expect(mixSeed(0, 0)).not.toBe(0);
  });

  it('a registered model built twice with one seed has identical weights', () => {
    registerModel({ name: 'seed-test-net', package: '@seg/core (tests)', build: () => net(true) });
    const spec = modelSpec('seed-test-net')!;
    expect(weightsOf(spec.build({ seed: 5 }))).toEqual(weightsOf(spec.build({ seed: 5 })));
    expect(weightsOf(spec.build({ seed: 5 }))[0]).not.toEqual(weightsOf(spec.build({ seed: 6 }))[0]);
  });

  it('dropout masks follow (seed, iteration, layer): new at each step, the same for the same step', () => {
    const m = seededBuild(1, () => net(true));
    const drop = m.getLayer('drop');
    const x = tf.ones([1, 8, 8, 6]);
    const mask = (seed: number | undefined, iter: number) => {
      setNoiseStep(seed, iter);
      return Array.from((drop.apply(x, { training: true }) as tf.Tensor).dataSync());
    };
    try {
      expect(mask(3, 0)).toEqual(mask(3, 0));
      expect(mask(3, 1)).not.toEqual(mask(3, 0));
      expect(mask(4, 0)).not.toEqual(mask(3, 0));
    } finally {
      setNoiseStep(undefined);
      x.dispose();
    }
  });

  for (const engine of ['the tested engine', 'cpu'] as const) {
    it(`two runs with the same seed end with identical weights on ${engine} (dropout included)`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'seg-seed-'));
      const before = tf.getBackend();
      await tf.setBackend(engine === 'cpu' ? 'cpu' : engineName());
      try {
        const runs = [];
        for (const name of ['a', 'b']) {
          const model = seededBuild(7, () => net(true));
          await train(model, data, config(path.join(dir, name), { iters: 4, seed: 7 }));
          runs.push(weightsOf(model));
        }
        expect(runs[1]).toEqual(runs[0]);
      } finally {
        await tf.setBackend(before);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('datasets are checked before the first step', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-check-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function folder(name: string, count: number, label = (i: number) => i % 3) {
    const root = path.join(dir, name);
    mkdirSync(path.join(root, 'images'), { recursive: true });
    mkdirSync(path.join(root, 'masks'), { recursive: true });
    for (let i = 0; i < count; i++) {
      const f = `s${i}.png`;
      await writePng(path.join(root, 'images', f), { width: 16, height: 12, channels: 3, data: new Uint8Array(16 * 12 * 3).fill(i * 20) });
      await writePng(path.join(root, 'masks', f), { width: 16, height: 12, channels: 1, data: new Uint8Array(16 * 12).fill(label(i)) });
    }
    return root;
  }

  it('every bad file is reported at once, the first few named and the rest counted, before any step runs', async () => {
    const root = await folder('bad', 8);
    await writePng(path.join(root, 'masks', 's1.png'), { width: 8, height: 8, channels: 1, data: new Uint8Array(64) });
    writeFileSync(path.join(root, 'images', 's2.png'), 'not an image at all');
    writeFileSync(path.join(root, 'masks', 's3.png'), '');
    await writePng(path.join(root, 'masks', 's5.png'), { width: 16, height: 12, channels: 1, data: new Uint8Array(16 * 12).fill(9) });
    const ds = await imageFolder(path.join(root, 'images'), path.join(root, 'masks'), 3);
    let steps = 0;
    const err = await train(net(), ds, config(path.join(dir, 'run-bad'), { prepare: (s: Sample) => (steps++, s) })).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(steps).toBe(0);
    const m = path.join(root, 'masks');
    const i = path.join(root, 'images');
    expect(err.message).toMatch(
      new RegExp(
        `^4 of 8 samples of folder cannot be used: label map ${m}/s1\\.png is 8x8 but its image ${i}/s1\\.png is 16x12; Cannot read image ${i}/s2\\.png: .+; Cannot read label map ${m}/s3\\.png: the file is empty; and 1 more\\.$`,
      ),
    );
  });

  it('labels outside --classes are an error, not a silent ignore (a dataset of only such labels used to train to loss 0)', async () => {
    const root = await folder('out-of-range', 4, () => 7);
    const ds = await imageFolder(path.join(root, 'images'), path.join(root, 'masks'), 3);
    await expect(train(net(), ds, config(path.join(dir, 'run-range')))).rejects.toThrow(
      `4 of 4 samples of folder cannot be used: label map ${path.join(root, 'masks', 's0.png')} holds value 7, outside 0-2 (--classes 3) and 255 (ignore);`,
    );
  });

  it('an empty split is one sentence naming the folder', async () => {
    const root = path.join(dir, 'empty');
    mkdirSync(path.join(root, 'images'), { recursive: true });
    mkdirSync(path.join(root, 'masks'), { recursive: true });
    await expect(imageFolder(path.join(root, 'images'), path.join(root, 'masks'), 3)).rejects.toThrow(`The folder split is empty: ${path.join(root, 'images')} lists no samples.`);
  });
});

describe('out of memory', () => {
  beforeAll(() => initEngine());

  it("each engine's way of failing is recognised and said in one sentence with what to change", () => {
    for (const msg of ['memory access out of bounds', 'Aborted(OOM)', 'OOM when allocating tensor with shape[2,64,712,712]', 'Array buffer allocation failed', 'Invalid typed array length: 6400000000']) {
      expect(isOutOfMemory(new Error(msg)), msg).toBe(true);
    }
    expect(isOutOfMemory(new Error('Unknown layer: Foo'))).toBe(false);
    const e = asOutOfMemory(new RangeError('Array buffer allocation failed'), 'a training step on a batch of 2 512x512 crops', 'use a smaller --size or --batch');
    expect(e).toBeInstanceOf(OutOfMemory);
    expect((e as OutOfMemory).message).toMatch(/^Out of memory: a training step on a batch of 2 512x512 crops does not fit in .+; use a smaller --size or --batch(, or the tensorflow engine \(SEG_BACKEND=tensorflow\))?\.$/);
  });

  it('on wasm, an allocation past the 4 GiB heap fails at once (it used to wrap around, or spin in XNNPACK)', async () => {
    const before = tf.getBackend();
    await initEngine({ backend: 'wasm', force: true });
    try {
      // 1x1024x1024x1 -> 1024 channels: a 4 GiB output, which a 32-bit size would wrap to 0
      const x = tf.zeros([1, 1024, 1024, 1]);
      const w = tf.zeros([1, 1, 1, 1024]);
      expect(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')).toThrow(/wasm heap: cannot allocate 4096 MiB/);
      tf.dispose([x, w]);
    } finally {
      await initEngine({ force: true });
      expect(tf.getBackend()).toBe(before);
    }
  });
});
