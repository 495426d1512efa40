import { beforeAll, describe, expect, it } from 'vitest';
import { countTrainableParams, dilationForOutputStride, initEngine, resnet, tf, tfl, vgg16, Conv2D } from '../src/index.js';

const model = (build: (x: tfl.SymbolicTensor) => tfl.SymbolicTensor | tfl.SymbolicTensor[], shape: (number | null)[]) => {
  const input = tfl.input({ shape });
  return tfl.model({ inputs: input, outputs: build(input) });
};

function dispose(m: tfl.LayersModel) {
  m.dispose();
}

describe('backbones', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it('VGG16 conv part has 14,714,688 trainable parameters at width 1', () => {
    const m = model((x) => vgg16(x).pool5, [null, null, 3]);
    expect(countTrainableParams(m)).toBe(14_714_688);
    dispose(m);
  });

  it('VGG16 DeepLab variant keeps the parameter count and has output stride 8', () => {
    const m = model((x) => vgg16(x, { deeplab: true }).pool5, [64, 64, 3]);
    expect(countTrainableParams(m)).toBe(14_714_688);
    expect(m.outputs[0]!.shape).toEqual([null, 8, 8, 512]);
    const conv5 = m.getLayer('conv5_1') as Conv2D;
    expect(conv5.dilationRate).toEqual([2, 2]);
    dispose(m);
  });

  it('VGG16 taps have strides 2..32 and the width multiplier scales channels', () => {
    const m = model((x) => {
      const t = vgg16(x, { width: 0.25 });
      return [t.pool1, t.pool2, t.pool3, t.pool4, t.pool5];
    }, [64, 96, 3]);
    expect(m.outputs.map((o) => o.shape)).toEqual([
      [null, 32, 48, 16],
      [null, 16, 24, 32],
      [null, 8, 12, 64],
      [null, 4, 6, 128],
      [null, 2, 3, 128],
    ]);
    dispose(m);
  });

  it('VGG16-BN adds gamma and beta per channel', () => {
    const m = model((x) => vgg16(x, { batchNorm: true }).pool5, [null, null, 3]);
    // convs lose their biases (conv-bn-relu), BN adds 2 per channel
    const channels = 2 * 64 + 2 * 128 + 3 * 256 + 6 * 512;
    expect(countTrainableParams(m)).toBe(14_714_688 - channels + 2 * channels);
    dispose(m);
  });

  it('ResNet-50 without its classifier has 23,508,032 trainable parameters', () => {
    const m = model((x) => resnet(x, { depth: 50 }).layer4, [null, null, 3]);
    expect(countTrainableParams(m)).toBe(23_508_032);
    dispose(m);
  });

  it('ResNet-101 without its classifier has 42,500,160 trainable parameters', () => {
    const m = model((x) => resnet(x, { depth: 101 }).layer4, [null, null, 3]);
    expect(countTrainableParams(m)).toBe(42_500_160);
    dispose(m);
  });

  it('ResNet output stride 8 and 16 by replacing stride with dilation, torchvision rates, multi-grid', () => {
    for (const [os, size] of [
      [8, 8],
      [16, 4],
      [32, 2],
    ] as const) {
      const m = model((x) => resnet(x, { depth: 50, width: 0.125, replaceStrideWithDilation: dilationForOutputStride(os) }).layer4, [64, 64, 3]);
      expect(m.outputs[0]!.shape).toEqual([null, size, size, 256]);
      if (os === 8) {
        // torchvision: first block of a dilated stage keeps the previous rate
        expect((m.getLayer('layer3_0_conv2') as Conv2D).dilationRate).toEqual([1, 1]);
        expect((m.getLayer('layer3_1_conv2') as Conv2D).dilationRate).toEqual([2, 2]);
        expect((m.getLayer('layer4_0_conv2') as Conv2D).dilationRate).toEqual([2, 2]);
        expect((m.getLayer('layer4_2_conv2') as Conv2D).dilationRate).toEqual([4, 4]);
      }
      dispose(m);
    }
    const mg = model(
      (x) => resnet(x, { depth: 50, width: 0.125, replaceStrideWithDilation: dilationForOutputStride(16), multiGrid: [1, 2, 4] }).layer4,
      [64, 64, 3],
    );
    expect([0, 1, 2].map((j) => (mg.getLayer(`layer4_${j}_conv2`) as Conv2D).dilationRate[0])).toEqual([2, 4, 8]);
    dispose(mg);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});
