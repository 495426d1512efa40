/**
 * DeepLab: the zoo models' registered parameter counts (docs/zoo.md), the options'
 * counts from hand-computed layer sizes, output stride at evaluation time,
 * and training on wasm and on cpu.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { builtFacts, compareOnnx, countTrainableParams, engineInfo, initEngine, modelSpec, Random, registeredModels, softmaxCrossEntropy, statedFacts, syntheticDataset, tf, tfl, trainStep, BatchLoader } from '@seg/core';
import { AUX_OUTPUT, deeplab, withOutputStride, ZOO_OPTIONS, zooModel, type DeepLabOptions } from '../src/index.js';

const count = (o: DeepLabOptions) => {
  const m = deeplab({ size: [65, 65], ...o });
  const n = countTrainableParams(m);
  m.dispose();
  return n;
};

describe('DeepLab zoo models (docs/zoo.md)', () => {
  beforeAll(async () => {
    await initEngine();
  });

  const specs = registeredModels().filter((s) => s.package === '@seg/deeplab');
  it('registers every zoo setting', () => {
    expect(specs.map((s) => s.name)).toEqual(Object.keys(ZOO_OPTIONS));
  });

  // The registrations state docs/zoo.md's counts; zooModel's own defaults must reach them.
  for (const spec of specs) {
    it(`${spec.name}: ${spec.params?.toLocaleString('en')} trainable parameters, logits at the ${spec.input?.slice(0, 2).join('x')} input`, () => {
      const built = builtFacts(spec, (o) => zooModel(spec.name, o));
      expect(built).toMatchObject(statedFacts(spec));
      expect(built.output).toEqual([spec.input![0], spec.input![1], spec.classes]);
    });
  }
});

describe('DeepLab options', () => {
  it('heads on VGG16: ASPP-L is four fc6-fc7-fc8 branches; ASPP-S the same sizes', () => {
    const vgg = 14_714_688;
    // fc6 3x3 512->1024 + bias, fc7 1x1 1024->1024 + bias, fc8 1x1 1024->21 + bias
    const branch = 9 * 512 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 21 + 21;
    expect(count({ backbone: 'vgg16', head: 'largefov' })).toBe(vgg + branch);
    expect(count({ backbone: 'vgg16', head: 'aspp-l' })).toBe(vgg + 4 * branch);
    expect(count({ backbone: 'vgg16', head: 'aspp-s' })).toBe(vgg + 4 * branch);
  });

  it('v3 without image pooling, with separable convolutions, and the v3+ decoder', () => {
    const v3 = 39_048_533;
    const base: DeepLabOptions = { backbone: 'resnet50', head: 'aspp-v3', outputStride: 16, multiGrid: [1, 2, 4] };
    // image pooling: 1x1 conv 2048->256 + BN (512); the projection's input shrinks from 1280 to 1024.
    expect(count({ ...base, imagePooling: false })).toBe(v3 - (2048 * 256 + 512) - 256 * 256);
    // separable: each 3x3 branch becomes depthwise 3x3 (no bias) + BN + pointwise 1x1 + BN.
    const dense = 9 * 2048 * 256 + 512;
    const separable = 9 * 2048 + 2 * 2048 + 2048 * 256 + 512;
    expect(count({ ...base, separable: true })).toBe(v3 - 3 * (dense - separable));
    // decoder: 1x1 256->48 + BN, 3x3 304->256 + BN, 3x3 256->256 + BN.
    expect(count({ ...base, decoder: true })).toBe(v3 + (256 * 48 + 96) + (9 * 304 * 256 + 512) + (9 * 256 * 256 + 512));
    // classes and width
    expect(count({ ...base, classes: 5 })).toBe(v3 - 16 * 257);
    expect(count({ ...base, width: 0.5 })).toBeLessThan(v3 / 3);
  });

  it("torchvision's auxiliary FCN head on layer3: off by default, an output of its own when asked", () => {
    const base: DeepLabOptions = { backbone: 'resnet50', head: 'aspp-v3', outputStride: 16, multiGrid: [1, 2, 4] };
    // 3x3 conv (no bias) 1024->256 + BN, 1x1 256->21 + bias (torchvision's FCNHead(1024, 21)).
    expect(count({ ...base, auxiliary: true }) - count(base)).toBe(9 * 1024 * 256 + 512 + 256 * 21 + 21);
    const m = deeplab({ ...base, decoder: true, auxiliary: true, width: 0.125, classes: 3, size: [48, 48] });
    expect(m.outputNames).toEqual(['upsample', AUX_OUTPUT]);
    expect(m.outputs.map((o) => o.shape)).toEqual([
      [null, 48, 48, 3],
      [null, 48, 48, 3],
    ]);
    expect((m.getLayer('aux_conv').input as tfl.SymbolicTensor).shape).toEqual([null, 3, 3, 128]);
    m.dispose();
    expect(() => deeplab({ backbone: 'vgg16', auxiliary: true })).toThrow("The auxiliary FCN head reads ResNet's layer3; VGG16 has no such stage.");
  });

  it('rejects settings the papers do not define, in one sentence', () => {
    expect(() => deeplab({ backbone: 'vgg16', outputStride: 16 })).toThrow(/outputStride 16 is not defined/);
    expect(() => deeplab({ backbone: 'vgg16', decoder: true })).toThrow('The v3+ decoder needs a ResNet backbone (its low-level features are layer1).');
    expect(() => deeplab({ backbone: 'resnet50', head: 'aspp-l', decoder: true })).toThrow('The v3+ decoder follows the v3 ASPP (head "aspp-v3").');
  });

  it('output stride changes at evaluation time for the same weights (v3 Table 6)', () => {
    const o: DeepLabOptions = { backbone: 'resnet50', head: 'aspp-v3', outputStride: 16, width: 0.125, classes: 3, size: [64, 64], seed: 3 };
    const m16 = deeplab(o);
    const m8 = withOutputStride(m16, o, 8);
    // layer4: 64/16 = 4 vs 64/8 = 8 pixels; the logits are at the input size either way.
    expect(m16.getLayer('layer4_2_out').outputShape).toEqual([null, 4, 4, 256]);
    expect(m8.getLayer('layer4_2_out').outputShape).toEqual([null, 8, 8, 256]);
    expect(m8.outputs[0]!.shape).toEqual([null, 64, 64, 3]);
    const w16 = m16.getWeights();
    m8.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(w16[i]!.dataSync())));
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 1);
    const a = m16.predict(x) as tf.Tensor;
    const b = m8.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-4);
    m16.dispose();
    m8.dispose();
  });
});

/** A few Adam steps on one synthetic batch; returns the losses. */
async function fewSteps(o: DeepLabOptions, size: number, steps: number): Promise<number[]> {
  const model = deeplab({ ...o, classes: 3, size: [size, size], seed: 5 });
  const data = syntheticDataset({ count: 2, height: size, width: size, classes: 3, seed: 9 });
  const batch = BatchLoader.toTensors(await new BatchLoader(data, 2, 1).samples(0));
  const opt = tf.train.adam(0.001);
  const losses: number[] = [];
  // Dropout draws its masks from Math.random (the layers are unseeded, as in training): seeded here, so the test is reproducible.
  const rng = new Random(12345);
  const random = vi.spyOn(Math, 'random').mockImplementation(() => rng.next());
  try {
    for (let i = 0; i < steps; i++) losses.push(await trainStep(model, opt, batch.images, batch.labels, (l, y) => softmaxCrossEntropy(l, y)));
  } finally {
    random.mockRestore();
  }
  opt.dispose();
  tf.dispose([batch.images, batch.labels]);
  model.dispose();
  return losses;
}

const VARIANTS: [string, DeepLabOptions][] = [
  ['v1 LargeFOV on VGG16', { backbone: 'vgg16', head: 'largefov' }],
  ['v2 ASPP-S on ResNet-101', { backbone: 'resnet101', head: 'aspp-s' }],
  ['v3 ASPP + image pooling, multi-grid, output stride 16', { backbone: 'resnet50', head: 'aspp-v3', outputStride: 16, multiGrid: [1, 2, 4] }],
  ['v3+ decoder, separable, output stride 8', { backbone: 'resnet50', head: 'aspp-v3', outputStride: 8, decoder: true, separable: true }],
];

describe('training on the engine under test (SEG_BACKEND)', () => {
  beforeAll(async () => {
    await initEngine();
  });
  for (const [name, o] of VARIANTS) {
    it(`${name}: the loss falls over 15 steps on one batch`, async () => {
      expect(tf.getBackend()).toBe(engineInfo()!.backend);
      const losses = await fewSteps({ ...o, width: 0.125 }, 48, 15);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(Math.min(...losses.slice(-3))).toBeLessThan(0.8 * losses[0]!);
    });
  }
});

describe('training on cpu (tiny)', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu', force: true });
  });
  afterAll(async () => {
    await initEngine({ force: true });
  });
  for (const [name, o] of VARIANTS) {
    it(`${name}: the loss falls over 8 steps`, async () => {
      expect(tf.getBackend()).toBe('cpu');
      // Batch statistics over a batch of 2 small feature maps (and dropout) make single losses noisy:
      // the best of the last four steps must beat the first. At output stride 16 a 32x32 input leaves
      // 2x2 maps, too few to learn from, so that variant gets 48x48 (3x3).
      const losses = await fewSteps({ ...o, width: 1 / 16 }, o.outputStride === 16 ? 48 : 32, 8);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(Math.min(...losses.slice(-4))).toBeLessThan(losses[0]!);
    });
  }
});

/**
 * A freshly initialised ResNet-101 (no zero-initialised residual branches)
 * gives logits near 2e3, where float32's spacing alone is 1e-4 and any two
 * runtimes differ by ~1e-3. Scaling the classifier convolutions (the layers
 * with weights nearest the output) brings the logits to a trained net's
 * scale (|logit| <= 20) without changing the graph being compared.
 */
function toTrainedScale(model: tfl.LayersModel, x: tf.Tensor4D): void {
  const peak = tf.tidy(() => tf.max(tf.abs(model.predict(x) as tf.Tensor)).dataSync()[0]!);
  if (peak <= 20) return;
  const factor = 20 / peak;
  const classifiers: tfl.layers.Layer[] = [];
  const walk = (layer: tfl.layers.Layer) => {
    if (layer.weights.length > 0) return void classifiers.push(layer);
    for (const l of layer.inboundNodes[0]?.inboundLayers ?? []) walk(l);
  };
  walk(model.outputLayers[0]!);
  for (const layer of new Set(classifiers)) layer.setWeights(layer.getWeights().map((t) => tf.mul(t, factor)));
}

describe('ONNX export (run by onnxruntime-node)', () => {
  beforeAll(async () => {
    await initEngine();
  });
  const faithful = async (model: tfl.LayersModel, h: number, w: number) => {
    const x = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    toTrainedScale(model, x);
    const r = await compareOnnx(model, x);
    x.dispose();
    expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-3);
    expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
  };
  for (const name of ['deeplabv1-largefov', 'deeplabv2-aspp-l', 'deeplabv3-resnet50', 'deeplabv3plus-resnet50']) {
    it(`${name} at 65x81`, async () => {
      await faithful(modelSpec(name)!.build({ size: [65, 81], width: 0.125, classes: 5, seed: 1 }), 65, 81);
    });
  }
  it('v3+ from ImageNet (Caffe layout: the input transform, zero-padded pooling, conv biases) at 65x81', async () => {
    const model = modelSpec('deeplabv3plus-resnet50')!.build({ size: [65, 81], classes: 5, seed: 1, pretrained: 'imagenet-caffe' });
    const x = tf.randomUniform([1, 65, 81, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const r = await compareOnnx(model, x);
    x.dispose();
    model.dispose();
    expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-3);
    expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
  }, 300_000);
  it('v3+ with depthwise-separable ASPP and decoder at output stride 8', async () => {
    await faithful(deeplab({ backbone: 'resnet50', head: 'aspp-v3', decoder: true, separable: true, outputStride: 8, size: [49, 57], width: 0.125, classes: 4, seed: 2 }), 49, 57);
  });
});
