/** FCN: the registered parameter counts (docs/zoo.md), options, staged initialisation, training on wasm. */
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { BatchLoader, builtFacts, compareOnnx, countTrainableParams, initEngine, modelSpec, Random, readImageNetWeights, registeredModels, softmaxCrossEntropy, statedFacts, syntheticDataset, tf, tfl, trainStep } from '@seg/core';
import { fcn, initFromCoarser } from '../src/index.js';

describe('FCN', () => {
  beforeAll(async () => {
    await initEngine();
  });

  // The registrations state docs/zoo.md's counts; a build at the stated defaults must reach them.
  for (const spec of registeredModels().filter((s) => s.package === '@seg/fcn')) {
    it(`${spec.name}: ${spec.params?.toLocaleString('en')} trainable parameters, ${spec.input?.join('x')} in, ${spec.classes} classes at the input size out`, () => {
      const built = builtFacts(spec);
      expect(built).toMatchObject(statedFacts(spec));
      expect(built.output).toEqual([spec.input![0], spec.input![1], spec.classes]);
    });
  }

  it('options: fixed x2 upsampling, classes, any input size', () => {
    const count = (o: Parameters<typeof fcn>[0]) => {
      const m = fcn({ size: [64, 64], ...o });
      const n = countTrainableParams(m);
      m.dispose();
      return n;
    };
    // two learned 4x4 21->21 transposed convolutions without bias
    expect(count({ variant: '8s', learnedUpsampling: false })).toBe(134_376_863 - 2 * 16 * 21 * 21);
    // classes: score_fr 4096->C, score_pool4 512->C, score_pool3 256->C (+ biases), two C->C x2 layers
    const c = 5;
    expect(count({ variant: '8s', classes: c })).toBe(134_376_863 - (4096 + 512 + 256 + 3) * 16 - 2 * 16 * (21 * 21 - c * c));
    const odd = fcn({ variant: '8s', width: 0.0625, size: [90, 120], classes: 3 });
    expect(odd.outputs[0]!.shape).toEqual([null, 90, 120, 3]);
    odd.dispose();
  });

  it('staged: FCN-16s initialised from FCN-32s has its trunk and scores, and the zero score_pool4 adds nothing', () => {
    const o = { width: 0.0625, classes: 3, size: [64, 64] as [number, number], seed: 4 };
    const m32 = fcn({ ...o, variant: '32s' });
    const m16 = fcn({ ...o, variant: '16s', seed: 9 });
    initFromCoarser(m16, m32);
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 2);
    const tap = (m: tfl.LayersModel, name: string) => tfl.model({ inputs: m.inputs, outputs: m.getLayer(name).output as tfl.SymbolicTensor }).predict(x) as tf.Tensor;
    // The copied trunk gives the same class scores at stride 32 ...
    expect(Array.from(tap(m16, 'score_fr').dataSync())).toEqual(Array.from(tap(m32, 'score_fr').dataSync()));
    // ... and the zero score_pool4 adds nothing to the upsampled scores.
    expect(Array.from(tap(m16, 'fuse_pool4').dataSync())).toEqual(Array.from(tap(m16, 'upscore2_crop').dataSync()));
    expect(m16.getLayer('score_pool4').getWeights().every((w) => w.dataSync().every((v) => v === 0))).toBe(true);
    const m8 = fcn({ ...o, variant: '8s', seed: 11 });
    initFromCoarser(m8, m16);
    expect(Array.from(m8.getLayer('fc6').getWeights()[0]!.dataSync())).toEqual(Array.from(m32.getLayer('fc6').getWeights()[0]!.dataSync()));
    [m32, m16, m8].forEach((m) => m.dispose());
  });

  it('every variant trains on wasm (learned and fixed upsampling, at-once scaled skips)', async () => {
    // Dropout draws its masks from Math.random (the layers are unseeded, as in training): seeded here, so the test is reproducible.
    const rng = new Random(12345);
    const random = vi.spyOn(Math, 'random').mockImplementation(() => rng.next());
    onTestFinished(() => random.mockRestore());
    const data = syntheticDataset({ count: 2, height: 64, width: 64, classes: 3, seed: 9 });
    const batch = BatchLoader.toTensors(await new BatchLoader(data, 2, 1).samples(0));
    for (const o of [{ variant: '32s' }, { variant: '16s', learnedUpsampling: false }, { variant: '8s', scaledSkips: true }] as const) {
      const model = fcn({ ...o, width: 0.125, classes: 3, size: [64, 64], seed: 5 });
      const opt = tf.train.adam(0.001);
      const losses: number[] = [];
      for (let i = 0; i < 12; i++) losses.push(await trainStep(model, opt, batch.images, batch.labels, (l, y) => softmaxCrossEntropy(l, y)));
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(Math.min(...losses.slice(-3))).toBeLessThan(0.85 * losses[0]!);
      opt.dispose();
      model.dispose();
    }
    tf.dispose([batch.images, batch.labels]);
  });
});

describe('FCN on ResNet-50 (backbone: resnet50)', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it("scores layer4 at stride 32 and takes layer3 / layer2 as pool4 / pool3; logits at the input's size", () => {
    const m = fcn({ backbone: 'resnet50', variant: '8s', classes: 11, width: 0.25, size: [90, 120], seed: 1 });
    expect(m.outputs[0]!.shape).toEqual([null, 90, 120, 11]);
    const inChannels = (name: string) => (m.getLayer(name).input as tfl.SymbolicTensor).shape;
    // layer4 (2048 x 0.25) at 3x4, layer3 (1024 x 0.25) at 6x8, layer2 (512 x 0.25) at 12x15
    expect(inChannels('score_fr')).toEqual([null, 3, 4, 512]);
    expect(inChannels('score_pool4')).toEqual([null, 6, 8, 256]);
    expect(inChannels('score_pool3')).toEqual([null, 12, 15, 128]);
    expect(m.layers.some((l) => l.name === 'fc6')).toBe(false);
    m.dispose();
  });

  it("pretrained (Caffe's ResNet-50): the trunk holds the ImageNet weights; staged FCN-16s from FCN-32s has the same stride-32 scores", () => {
    const o = { backbone: 'resnet50' as const, pretrained: 'imagenet-caffe' as const, classes: 5, size: [64, 64] as [number, number] };
    const m32 = fcn({ ...o, variant: '32s', seed: 1 });
    const ref = readImageNetWeights().weights.get('res4a_branch2a/kernel')!;
    expect(Array.from(m32.getLayer('res4a_branch2a').getWeights()[0]!.dataSync().slice(0, 64))).toEqual(Array.from(ref.data.slice(0, 64)));
    const m16 = fcn({ ...o, variant: '16s', pretrained: null, backboneLayout: 'caffe', frozenBatchNorm: true, seed: 2 });
    initFromCoarser(m16, m32);
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 3);
    const tap = (m: tfl.LayersModel, name: string) => tfl.model({ inputs: m.inputs, outputs: m.getLayer(name).output as tfl.SymbolicTensor }).predict(x) as tf.Tensor;
    // The copied trunk (frozen BN included) gives the same stride-32 scores, and the zero score_pool4 adds nothing.
    expect(Array.from(tap(m16, 'score_fr').dataSync())).toEqual(Array.from(tap(m32, 'score_fr').dataSync()));
    expect(Array.from(tap(m16, 'fuse_pool4').dataSync())).toEqual(Array.from(tap(m16, 'upscore2_crop').dataSync()));
    x.dispose();
    [m32, m16].forEach((m) => m.dispose());
  });

  it("refuses Caffe's weights for VGG16, torchvision's when not fetched, and batchNorm on ResNet-50, in one sentence each", () => {
    expect(() => fcn({ pretrained: 'imagenet-caffe', size: [64, 64] })).toThrow(/VGG16, has no imagenet-caffe weights/);
    const before = process.env.SEG_WEIGHTS_DIR;
    process.env.SEG_WEIGHTS_DIR = '/nonexistent/seg-weights';
    try {
      expect(() => fcn({ pretrained: 'imagenet', size: [64, 64] })).toThrow(/run `seg weights get vgg16-imagenet` \(553 MB/);
    } finally {
      if (before === undefined) delete process.env.SEG_WEIGHTS_DIR;
      else process.env.SEG_WEIGHTS_DIR = before;
    }
    expect(() => fcn({ backbone: 'resnet50', batchNorm: true, size: [64, 64] })).toThrow('batchNorm is a VGG16 option; ResNet-50 always has batch norm.');
    expect(() => fcn({ backbone: 'alexnet' as 'vgg16', size: [64, 64] })).toThrow('FCN backbone must be vgg16 or resnet50 (got "alexnet").');
  });
});

describe('ONNX export (run by onnxruntime-node)', () => {
  beforeAll(async () => {
    await initEngine();
  });
  const faithful = async (model: tfl.LayersModel, h: number, w: number) => {
    const x = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const r = await compareOnnx(model, x);
    x.dispose();
    expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-3);
    expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
  };
  for (const name of ['fcn32s-vgg16', 'fcn16s-vgg16', 'fcn8s-vgg16']) {
    it(`${name} at 70x90 (ceil-mode pools, x2/x8/x16/x32 transposed convs, crops)`, async () => {
      await faithful(modelSpec(name)!.build({ size: [70, 90], width: 0.125, classes: 5, seed: 1 }), 70, 90);
    });
  }
  it('FCN-8s at once (scaled skips) with learned x2 upsampling', async () => {
    await faithful(fcn({ variant: '8s', scaledSkips: true, size: [64, 48], width: 0.125, classes: 4, seed: 3 }), 64, 48);
  });
});
