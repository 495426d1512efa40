/**
 * The segmentation-model shape (models/segmentation-model.ts): the encoders'
 * taps and strides against the shapes they give, the prediction and the
 * auxiliary outputs at the input's size, the FCN head as torchvision has it,
 * one seed for the whole net, and the ImageNet start's refusal.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  atStride,
  auxiliaryOutputs,
  backboneEncoder,
  conv,
  countTrainableParams,
  deepest,
  dilationForOutputStride,
  fcnHead,
  initEngine,
  InputError,
  resnetEncoder,
  segmentationModel,
  tap,
  tfl,
  vgg16Encoder,
  type Encoder,
} from '../src/index.js';

/** Each tap's spatial size against input / stride (exact for a 64x64 input). */
function sizesMatchStrides(build: (input: tfl.SymbolicTensor) => Encoder): { name: string; stride: number }[] {
  const input = tfl.input({ shape: [64, 64, 3] });
  const encoder = build(input);
  for (const t of encoder.taps) expect(t.tensor.shape.slice(1, 3), t.name).toEqual([64 / t.stride, 64 / t.stride]);
  return encoder.taps.map((t) => ({ name: t.name, stride: t.stride }));
}

describe('encoders', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it('VGG16: pool1-pool5 at 2..32; DeepLab variant at 2, 4, 8, 8, 8', () => {
    expect(sizesMatchStrides((x) => vgg16Encoder(x, { width: 0.0625 }))).toEqual([2, 4, 8, 16, 32].map((stride, i) => ({ name: `pool${i + 1}`, stride })));
    expect(sizesMatchStrides((x) => vgg16Encoder(x, { width: 0.0625, deeplab: true })).map((t) => t.stride)).toEqual([2, 4, 8, 8, 8]);
  });

  it('ResNet in both layouts: stem and layer1-4, dilated stages keep their stride', () => {
    for (const layout of ['torchvision', 'caffe'] as const) {
      for (const [os, strides] of [
        [32, [2, 4, 8, 16, 32]],
        [16, [2, 4, 8, 16, 16]],
        [8, [2, 4, 8, 8, 8]],
      ] as const) {
        const taps = sizesMatchStrides((x) => resnetEncoder(x, { depth: 50, width: 0.0625, layout, replaceStrideWithDilation: dilationForOutputStride(os) }));
        expect(taps).toEqual(['stem', 'layer1', 'layer2', 'layer3', 'layer4'].map((name, i) => ({ name, stride: strides[i] })));
      }
    }
  });

  it('taps by name, by stride (the deepest there), the deepest; a missing one is one sentence', () => {
    const input = tfl.input({ shape: [64, 64, 3] });
    const e = backboneEncoder(input, { name: 'resnet50', width: 0.0625, outputStride: 8 });
    expect(e.backbone).toBe('resnet50');
    expect(atStride(e, 8)).toBe(tap(e, 'layer4'));
    expect(deepest(e)).toBe(tap(e, 'layer4'));
    expect(() => tap(e, 'pool5')).toThrow('resnet50 has no tap "pool5"; its taps are stem, layer1, layer2, layer3, layer4.');
    expect(() => atStride(e, 32)).toThrow(/resnet50 has no features at stride 32; its taps are stem \(2\)/);
  });
});

describe('segmentationModel', () => {
  beforeAll(async () => {
    await initEngine();
  });

  const net = (seed?: number, auxiliary = true) =>
    segmentationModel({
      name: 'tiny',
      size: [48, 40],
      seed,
      backbone: { name: 'resnet50', width: 0.0625, outputStride: 16 },
      head: (e) => conv(deepest(e), 3, { kernel: 1, name: 'classifier' }),
      auxiliary: auxiliary ? [{ output: 'aux_upsample', head: (e) => fcnHead(tap(e, 'layer3'), { classes: 3, prefix: 'aux_' }) }] : [],
    });

  it('resizes the prediction and each auxiliary head to the input; the FCN head is torchvision\'s', () => {
    const m = net(1);
    expect(m.name).toBe('tiny');
    expect(m.inputs[0]!.shape).toEqual([null, 48, 40, 3]);
    expect(m.outputNames).toEqual(['upsample', 'aux_upsample']);
    expect(m.outputs.map((o) => o.shape)).toEqual([
      [null, 48, 40, 3],
      [null, 48, 40, 3],
    ]);
    expect(auxiliaryOutputs(m)).toEqual(['aux_upsample']);
    // layer3 has 64 channels at this width: a 3x3 conv (no bias) to 64 / 4 + BN, then a 1x1 to 3 classes + bias.
    expect(countTrainableParams(m) - countTrainableParams(net(1, false))).toBe(9 * 64 * 16 + 2 * 16 + 16 * 3 + 3);
    expect(m.layers.filter((l) => l.name.startsWith('aux_')).map((l) => l.name)).toEqual(['aux_conv', 'aux_dropout', 'aux_classifier', 'aux_upsample']);
    m.dispose();
  });

  it('one seed builds the whole net: the same seed the same weights, another seed others', () => {
    const values = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    const [a, b, c] = [net(3), net(3), net(4)];
    expect(values(a)).toEqual(values(b));
    expect(values(a)).not.toEqual(values(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('refuses a start that is not here, or that the backbone has no weights for, before building anything', () => {
    const before = process.env.SEG_WEIGHTS_DIR;
    process.env.SEG_WEIGHTS_DIR = '/nonexistent/seg-weights';
    try {
      const build = () => segmentationModel({ name: 'x', backbone: { name: 'vgg16', pretrained: 'imagenet' }, head: deepest });
      expect(build).toThrow(InputError);
      expect(build).toThrow(/The vgg16-imagenet weights are not in \/nonexistent\/seg-weights; run `seg weights get vgg16-imagenet` \(553 MB/);
    } finally {
      if (before === undefined) delete process.env.SEG_WEIGHTS_DIR;
      else process.env.SEG_WEIGHTS_DIR = before;
    }
    const caffe = () => segmentationModel({ name: 'x', backbone: { name: 'vgg16', pretrained: 'imagenet-caffe' }, head: deepest });
    expect(caffe).toThrow(/VGG16, has no imagenet-caffe weights/);
  });
});
