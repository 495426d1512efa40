/**
 * `seg` with ImageNet weights (issue 17): which models take them, one
 * sentence for those that do not, and a pretrained run that eval reads back
 * with the weights' input transform recorded in its model.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '@seg/core';
import { seg, writeSplit } from './seg.js';

describe('seg --pretrained imagenet', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-pretrained-'));
    data = path.join(dir, 'data');
    await writeSplit(data, 'train', 4, { size: 48, seed: 2 });
    await writeSplit(data, 'val', 2, { size: 48, seed: 2 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const train = (model: string, out: string, ...more: string[]) =>
    seg('train', '--model', model, '--data', data, '--format', 'folder', '--classes', '3', '--size', '32x32', '--batch', '2', '--iters', '1', '--out', path.join(dir, out), ...more);

  it('seg models says which models take ImageNet weights: the ResNet-50 DeepLabs, not VGG16, ResNet-101 or U-Net', async () => {
    const r = await seg('models', '--json');
    expect(r.code).toBe(0);
    const by = Object.fromEntries((JSON.parse(r.stdout) as { name: string; pretrained: string[] }[]).map((m) => [m.name, m.pretrained]));
    expect(by['deeplabv3-resnet50']).toEqual(['imagenet']);
    expect(by['deeplabv3plus-resnet50']).toEqual(['imagenet']);
    expect(by['deeplabv1-largefov']).toEqual([]);
    expect(by['deeplabv2-aspp-l']).toEqual([]);
    expect(by['unet']).toEqual([]);
    const table = await seg('models');
    expect(table.stdout.split('\n')[0]).toMatch(/pretrained\s+aux$/);
    expect(table.stdout).toMatch(/deeplabv3plus-resnet50 .* imagenet/);
  });

  it('weights we do not have are one sentence and exit 2, before any data is read', async () => {
    const vgg = await train('deeplabv1-largefov', 'vgg', '--pretrained', 'imagenet');
    expect(vgg.code).toBe(2);
    expect(vgg.stderr.trim().split('\n')).toHaveLength(1);
    expect(vgg.stderr).toMatch(/deeplabv1-largefov's backbone, VGG16, has no ImageNet weights here/);
    const r101 = await train('deeplabv2-aspp-l', 'r101', '--pretrained', 'imagenet');
    expect(r101.code).toBe(2);
    expect(r101.stderr).toMatch(/ResNet-101, has no ImageNet weights here/);
    const unet = await train('unet', 'unet', '--pretrained', 'imagenet');
    expect(unet.code).toBe(2);
    expect(unet.stderr).toMatch(/unet has no pretrained backbone/);
    const other = await train('deeplabv3-resnet50', 'coco', '--pretrained', 'coco');
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/"coco" are not known/);
    const mult = await train('deeplabv3-resnet50', 'mult', '--backbone-lr-mult', '0.5');
    expect(mult.code).toBe(2);
  });

  it('a pretrained run records its input transform, frozen statistics and backbone rate; seg eval reads it back', async () => {
    const r = await train('deeplabv3plus-resnet50', 'v3plus', '--pretrained', 'imagenet', '--json');
    expect(r.code, r.stderr).toBe(0);
    const run = path.join(dir, 'v3plus');
    const config = JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')) as { pretrained: string; lrMultipliers: { multiplier: number }[] };
    expect(config.pretrained).toBe('imagenet');
    expect(config.lrMultipliers[0]!.multiplier).toBe(0.1);
    const model = readFileSync(path.join(run, 'checkpoint', 'model', 'model.json'), 'utf8');
    expect(model).toContain('SegCaffeImageNetInput');
    const layers = (JSON.parse(model) as { modelTopology: { config: { layers: { name: string; config: Record<string, unknown> }[] } } }).modelTopology.config.layers;
    const block = layers.find((l) => l.name === 'res5c_branch2c')!.config;
    // tfjs writes configs in snake case.
    expect([block.frozen_statistics ?? block.frozenStatistics, block.use_bias ?? block.useBias, block.epsilon]).toEqual([true, true, 0.001]);
    const e = await seg('eval', '--weights', path.join(run, 'checkpoint', 'model'), '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { miou: number }).miou).toBeGreaterThanOrEqual(0);
  }, 180_000);
});
