/**
 * `seg` as a user breaks it (issue 15): divergence, two runs on one folder,
 * the same seed twice, a resume, negative numbers, colliding outputs, an
 * empty split, a model that cannot fit in memory. Each ends in one sentence
 * with the documented exit code (2: change the input; 1: the run failed).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv, convBnRelu, dropout, fileSystem, initEngine, registerModel, tf, tfl, writePng } from '@seg/core';
import { seg, writeSplit } from './seg.js';

// No layer has its own seed: only the seed `seg train --seed` passes makes two builds equal.
registerModel({
  name: 'unseeded-net',
  package: '@seg/cli (tests)',
  build: (o = {}) => {
    const input = tfl.input({ shape: [null, null, o.channels ?? 3] });
    const x = dropout(convBnRelu(input, 8), 0.3, { name: 'drop' });
    return tfl.model({ inputs: input, outputs: conv(convBnRelu(x, 8), o.classes ?? 2, { kernel: 1 }) });
  },
});

describe('seg under abuse', () => {
  let dir: string;
  let data: string;
  let trainArgs: (out: string, ...more: string[]) => string[];
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-abuse-'));
    data = path.join(dir, 'data');
    await writeSplit(data, 'train', 6);
    await writeSplit(data, 'val', 2);
    trainArgs = (out, ...more) => ['train', '--model', 'unseeded-net', '--data', data, '--format', 'folder', '--classes', '3', '--size', '24x24', '--batch', '2', '--out', out, ...more];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--lr 1e12 stops with "diverged", exit 1, and the checkpoint it keeps is finite: seg eval uses it; a poisoned one is refused', async () => {
    const run = path.join(dir, 'diverged');
    const t = await seg(...trainArgs(run, '--iters', '30', '--checkpoint-every', '1', '--lr', '1e12'));
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/^seg: Training diverged: .*$/m);
    const e = await seg('eval', '--run', run, '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val', '--json');
    expect(e.code).toBe(0);

    // a checkpoint holding Inf (as older versions wrote them): eval refuses, exit 2
    const model = await tfl.loadLayersModel(fileSystem(path.join(run, 'checkpoint', 'model')));
    model.setWeights(model.getWeights().map((w, i) => (i === 0 ? tf.fill(w.shape, NaN) : w)));
    await model.save(fileSystem(path.join(run, 'checkpoint', 'model')));
    const bad = await seg('eval', '--run', run, '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`seg: The model in ${path.join(run, 'checkpoint', 'model')} holds 216 weights that are not finite (it was saved after training diverged); it cannot be used.`);
  });

  it('two runs on one --out: one trains, the other refuses in one sentence with exit 2, and the log is not interleaved', async () => {
    const run = path.join(dir, 'shared');
    const [a, b] = await Promise.all([seg(...trainArgs(run, '--iters', '20', '--json')), seg(...trainArgs(run, '--iters', '20', '--json'))]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 2]);
    const loser = a.code === 2 ? a : b;
    expect(loser.stderr).toMatch(/^seg: Run folder .*shared is in use by another run \(this process, since .*\); wait for it to finish or give another --out\.$/);
    const iters = readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).iter);
    expect(iters).toEqual([10, 20]);
  });

  it('the same flags and --seed give byte-identical weights; another --seed does not', async () => {
    const bins: Buffer[] = [];
    for (const [name, seed] of [['s1', '4'], ['s2', '4'], ['s3', '5']] as const) {
      const r = await seg(...trainArgs(path.join(dir, name), '--iters', '4', '--seed', seed));
      expect(r.code).toBe(0);
      bins.push(readFileSync(path.join(dir, name, 'checkpoint', 'model', 'weights.bin')));
    }
    expect(bins[1]!.equals(bins[0]!)).toBe(true);
    expect(bins[2]!.equals(bins[0]!)).toBe(false);
  });

  it('a resume is announced on stderr and in --json; config.json records the run', async () => {
    const run = path.join(dir, 'resume');
    expect((await seg(...trainArgs(run, '--iters', '3', '--checkpoint-every', '3'))).code).toBe(0);
    const r = await seg(...trainArgs(run, '--iters', '6', '--checkpoint-every', '3', '--json'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`seg: resuming from the checkpoint at iteration 3 of 6 in ${path.join(run, 'checkpoint')}.`);
    expect(JSON.parse(r.stdout)).toMatchObject({ iters: 6, resumed_from: 3 });
    expect(JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8'))).toMatchObject({ model: 'unseeded-net', iters: 6 });
  });

  it('a refused resume (another model) leaves config.json as it was', async () => {
    const run = path.join(dir, 'resume');
    const before = readFileSync(path.join(run, 'config.json'), 'utf8');
    const r = await seg('train', '--model', 'unseeded-net', '--data', data, '--format', 'folder', '--classes', '4', '--size', '24x24', '--out', run, '--iters', '9');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^seg: Checkpoint .* was saved from a different model; it cannot resume this run/);
    expect(readFileSync(path.join(run, 'config.json'), 'utf8')).toBe(before);
  });

  it('negative numbers get our sentence, not the argument parser\'s; usage errors exit 2', async () => {
    const size = await seg(...trainArgs(path.join(dir, 'neg'), '--iters', '2').map((a) => (a === '24x24' ? '-5x10' : a)));
    expect(size.code).toBe(2);
    expect(size.stderr).toBe('seg: --size must be HxW, e.g. 256x256 (got "-5x10").');
    const lr = await seg(...trainArgs(path.join(dir, 'neg'), '--lr', '-1'));
    expect(lr.code).toBe(2);
    expect(lr.stderr).toBe('seg: --lr must be a positive number (got "-1").');
    const seed = await seg(...trainArgs(path.join(dir, 'neg'), '--seed', '-3'));
    expect(seed.stderr).toBe('seg: --seed must be a non-negative integer (got "-3").');
  });

  it('seg predict refuses two inputs that would write the same output file', async () => {
    const run = path.join(dir, 's1');
    const other = path.join(dir, 'other');
    mkdirSync(other, { recursive: true });
    const a = path.join(data, 'val', 'images', 'img0.png');
    const b = path.join(other, 'img0.png');
    writeFileSync(b, readFileSync(a));
    const out = path.join(dir, 'pred');
    const r = await seg('predict', '--run', run, a, b, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`seg: Images ${a} and ${b} would both be written as ${path.join(out, 'img0.mask.png')}; predict them into different --out folders.`);
  });

  it('an empty split ends in one sentence naming the folder, for train and for eval', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(path.join(empty, 'val', 'images'), { recursive: true });
    mkdirSync(path.join(empty, 'val', 'masks'), { recursive: true });
    const e = await seg('eval', '--run', path.join(dir, 's1'), '--data', empty, '--format', 'folder', '--classes', '3', '--split', 'val');
    expect(e.code).toBe(2);
    expect(e.stderr).toBe(`seg: The folder split is empty: ${path.join(empty, 'val', 'images')} lists no samples.`);
    const t = await seg('train', '--model', 'unseeded-net', '--data', empty, '--format', 'folder', '--classes', '3', '--split', 'val', '--out', path.join(dir, 'e'));
    expect(t.code).toBe(2);
    expect(t.stderr).toBe(e.stderr);
  });

  it('on wasm, a whole image whose activations cannot fit ends at once in one sentence pointing to --window/--tile, exit 1', async () => {
    // 1x1 convolution to 1024 channels: a 1024x1024 image needs a 4 GiB activation
    const input = tfl.input({ shape: [null, null, 3] });
    const wide = tfl.model({ inputs: input, outputs: conv(conv(input, 1024, { kernel: 1 }), 2, { kernel: 1 }) });
    const weights = path.join(dir, 'wide');
    await wide.save(fileSystem(weights));
    const image = path.join(dir, 'big.png');
    await writePng(image, { width: 1024, height: 1024, channels: 3, data: new Uint8Array(1024 * 1024 * 3) });
    await initEngine({ backend: 'wasm', force: true });
    try {
      const r = await seg('predict', '--weights', weights, image, '--out', path.join(dir, 'big'));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `seg: Out of memory: inference on the whole 1024x1024 image ${image} does not fit in the wasm engine's 4 GiB heap; segment it in pieces with --window HxW (a sliding window, e.g. --window 512x512) or --tile HxW (overlap-tile), or the tensorflow engine (SEG_BACKEND=tensorflow).`,
      );
    } finally {
      await initEngine({ force: true });
    }
  });
});
