/**
 * The label check before training: one warning line when most pixels are
 * ignored or a class never appears (0/255 masks read as --format folder),
 * none for a clean dataset; training goes on either way.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { censusOf, conv, imageFolder, initEngine, labelWarning, seededBuild, syntheticSample, tfl, train, writePng } from '../src/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'seg-census-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder split of 4 grey 16x16 images whose masks hold `label(x, y)`. */
async function folder(name: string, label: (x: number, y: number) => number) {
  const root = path.join(dir, name);
  mkdirSync(path.join(root, 'images'), { recursive: true });
  mkdirSync(path.join(root, 'masks'), { recursive: true });
  for (let i = 0; i < 4; i++) {
    const s = syntheticSample(i, { count: 4, height: 16, width: 16, channels: 1, seed: 1 });
    await writePng(path.join(root, 'images', `${i}.png`), { width: 16, height: 16, channels: 1, data: Uint8Array.from(s.image, (v) => Math.round(v * 255)) });
    await writePng(path.join(root, 'masks', `${i}.png`), { width: 16, height: 16, channels: 1, data: Uint8Array.from({ length: 256 }, (_, p) => label(p % 16, Math.floor(p / 16))) });
  }
  return root;
}

function tinyNet() {
  return seededBuild(1, () => {
    const input = tfl.input({ shape: [null, null, 1] });
    return tfl.model({ inputs: input, outputs: conv(input, 2, { kernel: 1 }) });
  });
}

/** The lines train() says before and while it runs one step. */
async function trainLines(root: string, classes = 2): Promise<string[]> {
  const lines: string[] = [];
  const dataset = await imageFolder(path.join(root, 'images'), path.join(root, 'masks'), classes, 1);
  const r = await train(tinyNet(), dataset, { iters: 1, batchSize: 1, optimizer: { name: 'sgd', lr: 0.01 }, runDir: path.join(root, 'run'), log: (l) => lines.push(l) });
  expect(r.iters).toBe(1);
  return lines;
}

describe('label census before training', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it('an ISBI-style 0/255 mask read as --format folder --classes 2 warns once, naming the share, the missing class and the fix; training goes on', async () => {
    // 78% of each mask is 255 (cell interior in ISBI's format), the rest 0 (membrane)
    const root = await folder('isbi-like', (x, y) => (y * 16 + x < 200 ? 255 : 0));
    const warnings = (await trainLines(root)).filter((l) => l.startsWith('Warning:'));
    expect(warnings).toEqual([
      'Warning: 78.1% of the training pixels are 255 (ignored), and class 1 never appears; --format folder takes labels 0..1 (an ISBI-style 0/255 mask needs --format isbi or labels 0/1).',
    ]);
  });

  it('a clean dataset (labels 0/1, a few ignored pixels) trains without a warning', async () => {
    const root = await folder('clean', (x, y) => (x === 0 && y === 0 ? 255 : x < 8 ? 0 : 1));
    expect((await trainLines(root)).filter((l) => l.startsWith('Warning:'))).toEqual([]);
  });

  it('--classes above the labels in use names the missing classes and the flag', async () => {
    const root = await folder('too-many', (x) => (x < 8 ? 0 : 1));
    const dataset = await imageFolder(path.join(root, 'images'), path.join(root, 'masks'), 4, 1);
    const census = await dataset.labelCensus!();
    expect(census).toMatchObject({ pixels: 4 * 256, ignored: 0, perClass: [512, 512, 0, 0], format: 'folder' });
    expect(labelWarning(census, dataset.classNames)).toBe('classes 2 and 3 never appear; the masks use labels 0..1; check --classes 4.');
  });

  it('the hint fits what was found in other formats', () => {
    const stored = new Array<number>(256).fill(0);
    stored[0] = 10;
    stored[11] = 60;
    stored[255] = 30;
    const c = censusOf(stored, (v) => (v < 11 ? v : v === 11 || v === 255 ? 255 : undefined), 11, 'camvid');
    expect(labelWarning(c, ['sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign', 'fence', 'car', 'pedestrian', 'bicyclist'])).toBe(
      "90.0% of the training pixels are 11 or 255 (ignored), and classes 1 (building), 2 (pole), 3 (road), 4 (pavement), 5 (tree) and 5 more never appear; check that the masks are in --format camvid's labels.",
    );
  });
});
