/**
 * `seg eval --run RUN` takes the data, format and classes seg train recorded
 * in RUN/config.json (a flag given wins; a recorded folder that is gone is one
 * sentence), and eval and predict pad a model that takes only multiples of
 * its size multiple (ModelSpec.sizeMultiple) and crop its output back.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv, convBnRelu, fileSystem, initEngine, maxPool, modelSpec, readLabelPng, registerModel, tfl } from '@seg/core';
import { seg, writeSplit } from './seg.js';

// Two poolings and an uncropped skip: each side must divide by 4 (30 does not).
registerModel({
  name: 'pool-skip-net',
  package: '@seg/cli (tests)',
  sizeMultiple: 4,
  build: (o = {}) => {
    const input = tfl.input({ shape: [...(o.size ?? [null, null]), o.channels ?? 3] });
    const skip = convBnRelu(input, 8);
    const deep = convBnRelu(maxPool(maxPool(skip)), 8);
    const up = tfl.layers.upSampling2d({ size: [4, 4] }).apply(deep) as tfl.SymbolicTensor;
    const x = tfl.layers.concatenate().apply([skip, up]) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: conv(x, o.classes ?? 2, { kernel: 1 }), name: 'pool-skip-net' });
  },
});

describe('seg eval --run takes what the run recorded; sizes off the model multiple are padded', () => {
  let dir: string;
  let data: string;
  let run: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-run-defaults-'));
    data = path.join(dir, 'data');
    await writeSplit(data, 'train', 6, { size: 32, seed: 1 });
    await writeSplit(data, 'val', 4, { size: 32, seed: 2 });
    await writeSplit(data, 'odd', 3, { size: 30, seed: 3 });
    // The run as seg train leaves it (checkpoint/model and config.json), without training: inference only needs weights.
    run = path.join(dir, 'run');
    await modelSpec('pool-skip-net')!.build({ classes: 3, channels: 3, size: [null, null], seed: 1 }).save(fileSystem(path.join(run, 'checkpoint', 'model')));
    writeFileSync(path.join(run, 'config.json'), JSON.stringify({ model: 'pool-skip-net', data, format: 'folder', classes: 3, iters: 2, batchSize: 2, augment: { crop: [32, 32], flip: true } }, null, 2));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without --data, --format and --classes, eval reads them from RUN/config.json, as if they were given', async () => {
    const implicit = await seg('eval', '--run', run, '--json');
    expect(implicit.stderr).toBe('');
    expect(implicit.code).toBe(0);
    const explicit = await seg('eval', '--run', run, '--data', data, '--format', 'folder', '--classes', '3', '--json');
    expect(JSON.parse(implicit.stdout)).toEqual(JSON.parse(explicit.stdout));
    expect(JSON.parse(implicit.stdout).images).toBe(4);
  });

  it('a flag given on the command line wins over the recorded one', async () => {
    const other = path.join(dir, 'other');
    await writeSplit(other, 'val', 2, { size: 32, seed: 4 });
    const e = await seg('eval', '--run', run, '--data', other, '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).images).toBe(2);
    // --classes 4 against a 3-class model: the given flag is the one used
    const c = await seg('eval', '--run', run, '--classes', '4', '--json');
    expect(c.code).toBe(2);
    expect(c.stderr).toBe('seg: The model predicts 3 classes but dataset folder has 4.');
  });

  it('a recorded data folder that is gone is one sentence naming it and --data', async () => {
    const moved = path.join(dir, 'run-moved');
    cpSync(run, moved, { recursive: true });
    const gone = path.join(dir, 'gone');
    const config = JSON.parse(readFileSync(path.join(moved, 'config.json'), 'utf8'));
    writeFileSync(path.join(moved, 'config.json'), JSON.stringify({ ...config, data: gone }));
    const e = await seg('eval', '--run', moved, '--json');
    expect(e.code).toBe(2);
    expect(e.stderr).toBe(`seg: Run ${moved} was trained on ${gone}, which no longer exists; give the data with --data DIR.`);
    expect((await seg('eval', '--run', moved, '--data', data, '--json')).code).toBe(0);
  });

  it('30x30 images (not a multiple of 4): eval and predict pad them and give labels of their size, with --run and with --weights', async () => {
    const e = await seg('eval', '--run', run, '--split', 'odd', '--json');
    expect(e.stderr).toBe('');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).images).toBe(3);
    const images = [0, 1].map((i) => path.join(data, 'odd', 'images', `img${i}.png`));
    for (const source of [['--run', run], ['--weights', path.join(run, 'checkpoint', 'model')]]) {
      const out = path.join(dir, `pred-${source[0]!.slice(2)}`);
      const p = await seg('predict', ...source, ...images, '--out', out, '--json');
      expect(p.stderr).toBe('');
      expect(p.code).toBe(0);
      for (const w of JSON.parse(p.stdout) as { mask: string }[]) {
        const mask = await readLabelPng(w.mask);
        expect([mask.width, mask.height]).toEqual([30, 30]);
      }
    }
  });
});
