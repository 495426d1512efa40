/**
 * DeepLab from ImageNet (issue 17): the Caffe-layout counts, the weights in
 * place at either output stride, frozen batch-norm statistics while
 * training, and the refusal for backbones without weights.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countTrainableParams, initEngine, InputError, knownWeights, readImageNetWeights, registerWeights, softmaxCrossEntropy, tf, trainStep, writeSeededWeights } from '@seg/core';
import { deeplab, resolveOptions, withOutputStride, zooModel, type DeepLabOptions } from '../src/index.js';

const V3PLUS: DeepLabOptions = { backbone: 'resnet50', head: 'aspp-v3', outputStride: 16, multiGrid: [1, 2, 4], decoder: true, classes: 5 };
const file = (name: string) => readImageNetWeights().weights.get(name)!.data;
const layerWeight = (m: ReturnType<typeof deeplab>, layer: string, i: number) => m.getLayer(layer).getWeights()[i]!.dataSync() as Float32Array;

describe('DeepLab with ImageNet weights', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it('the zoo models in the caffe layout (imagenet-caffe) have 26,560 more parameters (the conv biases), as the README says', () => {
    for (const [name, params] of [['deeplabv3-resnet50', 39_075_093], ['deeplabv3plus-resnet50', 40_378_741]] as const) {
      const m = zooModel(name, { size: [65, 65], pretrained: 'imagenet-caffe' });
      expect(countTrainableParams(m)).toBe(params);
      m.dispose();
    }
  }, 300_000);

  it('the backbone holds the shipped weights; the same weights at output stride 8; the head does not come from them', () => {
    const m = deeplab({ ...V3PLUS, pretrained: 'imagenet-caffe', size: [64, 64] });
    expect(resolveOptions({ ...V3PLUS, pretrained: 'imagenet-caffe' })).toMatchObject({ backboneLayout: 'caffe', frozenBatchNorm: true, pretrained: 'imagenet-caffe' });
    // ConvBn weights: kernel, bias, gamma, beta, moving mean, moving variance.
    expect(layerWeight(m, 'conv1', 0)).toEqual(file('conv1/kernel'));
    expect(layerWeight(m, 'res4f_branch2b', 1)).toEqual(file('res4f_branch2b/bias'));
    expect(layerWeight(m, 'res5c_branch2c', 5)).toEqual(file('bn5c_branch2c/moving_variance'));
    const os8 = withOutputStride(m, { ...V3PLUS, pretrained: 'imagenet-caffe' }, 8);
    expect(layerWeight(os8, 'res5a_branch1', 2)).toEqual(file('bn5a_branch1/gamma'));
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 3);
    expect((os8.predict(x) as tf.Tensor).shape).toEqual([1, 64, 64, 5]);
    os8.dispose();
    // From scratch, the same net has its own initialisation.
    const scratch = deeplab({ ...V3PLUS, backboneLayout: 'caffe', size: [64, 64] });
    expect(resolveOptions({ ...V3PLUS, backboneLayout: 'caffe' }).frozenBatchNorm).toBe(false);
    expect(layerWeight(scratch, 'conv1', 0)).not.toEqual(file('conv1/kernel'));
    tf.dispose(x);
    m.dispose();
    scratch.dispose();
  }, 300_000);

  it('frozen statistics: a training step moves the weights but not the backbone moving means; unfrozen, they move', async () => {
    const x = tf.randomUniform([2, 48, 48, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const y = tf.tensor3d(Int32Array.from({ length: 2 * 48 * 48 }, (_, i) => i % 5), [2, 48, 48], 'int32');
    for (const frozen of [true, false]) {
      const m = deeplab({ ...V3PLUS, pretrained: 'imagenet-caffe', frozenBatchNorm: frozen, size: [48, 48] });
      const mean0 = layerWeight(m, 'res3a_branch2a', 4).slice();
      const kernel0 = layerWeight(m, 'res3a_branch2a', 0).slice();
      const opt = tf.train.sgd(0.01);
      await trainStep(m, opt, x, y, (l, t) => softmaxCrossEntropy(l, t));
      const moved = (a: Float32Array, b: Float32Array) => a.some((v, i) => v !== b[i]);
      expect(moved(layerWeight(m, 'res3a_branch2a', 0), kernel0)).toBe(true);
      expect(moved(layerWeight(m, 'res3a_branch2a', 4), mean0)).toBe(!frozen);
      opt.dispose();
      m.dispose();
    }
    tf.dispose([x, y]);
  }, 300_000);

  it("torchvision's start at another output stride keeps its normalising first layer and the same weights (no second load)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seg-deeplab-os-'));
    const before = { dir: process.env.SEG_WEIGHTS_DIR, w: { ...knownWeights('resnet50-imagenet') } };
    process.env.SEG_WEIGHTS_DIR = dir;
    try {
      const file = path.join(dir, 'resnet50-imagenet.safetensors');
      writeSeededWeights(file, 'resnet50');
      registerWeights({ ...before.w, size: statSync(file).size });
      const o: DeepLabOptions = { ...V3PLUS, pretrained: 'imagenet', size: [33, 33] };
      const m = deeplab(o);
      rmSync(file); // the rebuild must not need it
      const os8 = withOutputStride(m, o, 8);
      expect(os8.layers[1]!.getClassName()).toBe('SegImageNetNormalize');
      expect(Array.from(layerWeight(os8, 'layer4_2_conv2', 0))).toEqual(Array.from(layerWeight(m, 'layer4_2_conv2', 0)));
      [m, os8].forEach((x) => x.dispose());
    } finally {
      registerWeights(before.w);
      if (before.dir === undefined) delete process.env.SEG_WEIGHTS_DIR;
      else process.env.SEG_WEIGHTS_DIR = before.dir;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('VGG16 and ResNet-101 have no Caffe weights; a torchvision start not fetched yet: one InputError sentence', () => {
    expect(() => deeplab({ backbone: 'vgg16', pretrained: 'imagenet-caffe' })).toThrow(InputError);
    expect(() => deeplab({ backbone: 'resnet101', head: 'aspp-l', pretrained: 'imagenet-caffe' })).toThrow(/ResNet-101, has no imagenet-caffe weights/);
    const before = process.env.SEG_WEIGHTS_DIR;
    process.env.SEG_WEIGHTS_DIR = '/nonexistent/seg-weights';
    try {
      expect(() => deeplab({ backbone: 'resnet101', head: 'aspp-l', pretrained: 'imagenet' })).toThrow(/run `seg weights get resnet101-imagenet` \(179 MB/);
    } finally {
      if (before === undefined) delete process.env.SEG_WEIGHTS_DIR;
      else process.env.SEG_WEIGHTS_DIR = before;
    }
    expect(() => deeplab({ backbone: 'resnet50', pretrained: 'imagenet-caffe', backboneLayout: 'torchvision' })).toThrow(/caffe layout/);
  });
});
