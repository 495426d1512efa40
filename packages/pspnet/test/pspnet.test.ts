/**
 * PSPNet: the zoo model's registered parameter counts (docs/zoo.md) with and
 * without the auxiliary head, the options' counts from hand-computed layer
 * sizes, the inference and ONNX graphs without the auxiliary head, batch
 * norm after the 1x1 bin at batch 1, and where the auxiliary loss reaches.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { builtFacts, compareOnnx, countTrainableParams, exportOnnx, initEngine, modelSpec, Random, registeredModels, setNoiseStep, softmaxCrossEntropy, statedFacts, tf, withoutAuxiliary, type tfl } from '@seg/core';
import { AUX_OUTPUT, pspnet, zooModel, type PSPNetOptions } from '../src/index.js';

const count = (o: PSPNetOptions) => {
  const m = pspnet({ size: [65, 65], ...o });
  const n = countTrainableParams(m);
  m.dispose();
  return n;
};

// torchvision's ResNet-50 without fc.
const RESNET50 = 23_508_032;
// 3x3 conv (no bias) + BN to 512, then 1x1 to 21 classes with bias.
const head = (cin: number) => 9 * cin * 512 + 1024 + 512 * 21 + 21;

beforeAll(async () => {
  await initEngine();
});

describe('PSPNet zoo model (docs/zoo.md)', () => {
  // The registration states docs/zoo.md's counts; zooModel's own defaults must reach them.
  for (const spec of registeredModels().filter((s) => s.package === '@seg/pspnet')) {
    it(`${spec.name}: ${spec.params?.toLocaleString('en')} trainable parameters without the auxiliary head, ${spec.paramsWithAux?.toLocaleString('en')} with it`, () => {
      const built = builtFacts(spec, (o) => zooModel(spec.name, o));
      expect(built).toMatchObject(statedFacts(spec));
      expect(built.output).toEqual([spec.input![0], spec.input![1], spec.classes]);
    });
  }

  it('builds the auxiliary head as a second output', () => {
    const withAux = zooModel('pspnet-resnet50', { size: [65, 65], auxiliary: true });
    expect(withAux.outputNames).toEqual(['upsample', AUX_OUTPUT]);
    withAux.dispose();
  });

  it('is registered with the auxiliary weight 0.4 and the ImageNet backbone', () => {
    const spec = modelSpec('pspnet-resnet50')!;
    expect(spec.package).toBe('@seg/pspnet');
    expect(spec.auxiliaryLosses).toEqual({ [AUX_OUTPUT]: 0.4 });
    expect(spec.pretrained).toEqual(['imagenet', 'imagenet-caffe']);
  });
});

describe('PSPNet options', () => {
  it('counts: the baseline FCN, each bin with and without DR, max pooling, the auxiliary head', () => {
    // Baseline (Table 2): no pyramid, the 3x3 head reads layer4's 2048 channels.
    expect(count({ bins: [] })).toBe(RESNET50 + head(2048));
    // B1236+DR: four 1x1 conv-bn 2048->512; the head reads 2048 + 4 x 512.
    const dr = 4 * (2048 * 512 + 1024);
    expect(count({})).toBe(RESNET50 + dr + head(4096));
    expect(count({ pooling: 'max' })).toBe(RESNET50 + dr + head(4096));
    // Without DR the pooled features are concatenated as they are: 2048 + 4 x 2048.
    expect(count({ reduction: false })).toBe(RESNET50 + head(10240));
    // B1 with DR reduces to 2048 / 1.
    expect(count({ bins: [1] })).toBe(RESNET50 + 2048 * 2048 + 4096 + head(4096));
    expect(count({ bins: [1], reduction: false })).toBe(RESNET50 + head(4096));
    // Auxiliary head on layer3: 3x3 1024->256 (no bias) + BN, 1x1 256->21 + bias.
    expect(count({ auxiliary: true }) - count({})).toBe(9 * 1024 * 256 + 512 + 256 * 21 + 21);
    expect(count({ bins: [], auxiliary: true }) - count({ bins: [] })).toBe(9 * 1024 * 256 + 512 + 256 * 21 + 21);
  });

  it('output stride 8 by default (layer3 and layer4 dilated), 16 on request; logits at the input size', () => {
    const m8 = pspnet({ width: 0.125, classes: 3, size: [64, 80], auxiliary: true });
    expect(m8.getLayer('layer4_2_out').outputShape).toEqual([null, 8, 10, 256]);
    expect(m8.getLayer('ppm_bin6_pool').outputShape).toEqual([null, 6, 6, 256]);
    expect(m8.outputs.map((o) => o.shape)).toEqual([
      [null, 64, 80, 3],
      [null, 64, 80, 3],
    ]);
    const m16 = pspnet({ width: 0.125, classes: 3, size: [64, 80], outputStride: 16 });
    expect(m16.getLayer('layer4_2_out').outputShape).toEqual([null, 4, 5, 256]);
    m8.dispose();
    m16.dispose();
  });

  it('rejects bad bins and strides in one sentence', () => {
    expect(() => pspnet({ bins: [1, 0] })).toThrow('PSPNet bins must be positive integers (got 1, 0).');
    expect(() => pspnet({ bins: [2, 2] })).toThrow('PSPNet bins must differ (got 2, 2).');
    expect(() => pspnet({ outputStride: 32 as 8 })).toThrow('outputStride must be 8 or 16 (got 32).');
  });
});

describe('PSPNet inference and ONNX graphs', () => {
  const rng = new Random(7);
  const input = (h: number, w: number) => tf.tensor4d(Float32Array.from({ length: h * w * 3 }, () => rng.next()), [1, h, w, 3]);

  it('the auxiliary head is neither in the inference graph nor in the export', () => {
    const m = pspnet({ width: 0.125, classes: 4, size: [48, 48], auxiliary: true, seed: 2 });
    const net = withoutAuxiliary(m);
    expect(net.outputs).toHaveLength(1);
    expect(net.layers.some((l) => l.name.startsWith('aux_'))).toBe(false);
    expect(m.layers.filter((l) => l.name.startsWith('aux_')).length).toBeGreaterThan(0);
    // The same weights: the inference graph shares the trained model's layers.
    expect(net.getLayer('head_classifier')).toBe(m.getLayer('head_classifier'));
    const e = exportOnnx(m);
    expect(e.outputs.map((o) => o.name)).toEqual(['logits']);
    expect(Buffer.from(e.bytes).includes(Buffer.from('aux_'))).toBe(false);
    m.dispose();
  });

  const cases: [string, PSPNetOptions][] = [
    ['B1236+AVE+DR with the auxiliary head', { auxiliary: true }],
    ['B1236+MAX without DR (overlapping max bins)', { pooling: 'max', reduction: false }],
    ['the baseline FCN, aligned corners', { bins: [], alignCorners: true }],
  ];
  for (const [name, o] of cases) {
    it(`ONNX export is faithful: ${name} at 65x81`, async () => {
      const model = pspnet({ width: 0.125, classes: 5, size: [65, 81], seed: 4, ...o });
      // Non-trivial batch-norm statistics, so folding them into the export is tested.
      for (const l of model.layers) {
        if (l.getClassName() !== 'SegConvBn') continue;
        const [kernel, gamma, beta, mean, variance] = l.getWeights();
        l.setWeights([kernel!, gamma!, beta!, tf.add(mean!, 0.1), tf.add(variance!, 0.5)]);
      }
      const x = input(65, 81);
      const r = await compareOnnx(model, x);
      expect(r.maxAbsDiff).toBeLessThan(1e-3);
      expect(r.argmaxAgreement).toBeGreaterThan(0.999);
      x.dispose();
      model.dispose();
    });
  }
});

const variables = (m: tfl.LayersModel) => m.trainableWeights.map((w) => w.read() as tf.Variable);

describe('PSPNet training', () => {
  it('batch norm after the 1x1 bin trains at batch 1: finite loss, a gradient on its kernel, its statistics kept', () => {
    const m = pspnet({ width: 0.125, classes: 3, size: [48, 48], auxiliary: true, seed: 5 });
    const bin1 = m.getLayer('ppm_bin1_conv');
    const bin2 = m.getLayer('ppm_bin2_conv');
    const stats = (l: tfl.layers.Layer) => l.getWeights().slice(-2).map((w) => Array.from(w.dataSync()));
    const [before1, before2] = [stats(bin1), stats(bin2)];
    const x = tf.randomUniform([1, 48, 48, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const y = tf.tensor3d(Array.from({ length: 48 * 48 }, (_, i) => i % 3), [1, 48, 48], 'int32');
    setNoiseStep(1, 0);
    const { value, grads } = tf.variableGrads(() => {
      const [main, aux] = m.apply(x, { training: true }) as tf.Tensor4D[];
      return tf.add(softmaxCrossEntropy(main!, y), tf.mul(softmaxCrossEntropy(aux!, y), 0.4)) as tf.Scalar;
    }, variables(m));
    setNoiseStep(undefined);
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    const kernel = grads[(bin1.trainableWeights[0]!.read() as tf.Variable).name]!;
    expect(tf.max(tf.abs(kernel)).dataSync()[0]).toBeGreaterThan(0);
    for (const g of Object.values(grads)) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    // One value per channel: the bin-1 layer normalises with its moving statistics and leaves them.
    expect(stats(bin1)).toEqual(before1);
    // The 2x2 bin has four values per channel: batch statistics, which update the moving ones.
    expect(stats(bin2)).not.toEqual(before2);
    m.dispose();
  });

  it('the auxiliary loss changes the gradient of layer3 (and before) and nothing after it', () => {
    const m = pspnet({ width: 0.125, classes: 3, size: [48, 48], auxiliary: true, seed: 6 });
    const x = tf.randomUniform([2, 48, 48, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const y = tf.tensor3d(Array.from({ length: 2 * 48 * 48 }, (_, i) => Math.floor(i / 7) % 3), [2, 48, 48], 'int32');
    const vars = variables(m);
    const gradients = (alpha: number) => {
      // The same dropout masks in both passes.
      setNoiseStep(1, 0);
      const { grads } = tf.variableGrads(() => {
        const [main, aux] = m.apply(x, { training: true }) as tf.Tensor4D[];
        return tf.add(softmaxCrossEntropy(main!, y), tf.mul(softmaxCrossEntropy(aux!, y), alpha)) as tf.Scalar;
      }, vars);
      setNoiseStep(undefined);
      return grads;
    };
    const [without, withAux] = [gradients(0), gradients(0.4)];
    const layerOf = new Map(m.layers.flatMap((l) => l.trainableWeights.map((w) => [(w.read() as tf.Variable).name, l.name] as const)));
    const changed = new Set<string>();
    for (const [name, g] of Object.entries(without)) {
      const diff = tf.max(tf.abs(tf.sub(g, withAux[name]!))).dataSync()[0]!;
      const size = tf.max(tf.abs(g)).dataSync()[0]!;
      if (diff > 1e-6 * Math.max(size, 1e-3)) changed.add(layerOf.get(name)!);
    }
    const after = [...layerOf.values()].filter((l) => /^(layer4|ppm_|head_)/.test(l));
    const layer3 = [...layerOf.values()].filter((l) => l.startsWith('layer3'));
    expect(after.length).toBeGreaterThan(0);
    for (const l of after) expect(changed.has(l), l).toBe(false);
    for (const l of layer3) expect(changed.has(l), l).toBe(true);
    // The auxiliary head itself learns only from its own loss.
    expect(changed.has('aux_conv')).toBe(true);
    expect(changed.has('conv1')).toBe(true);
    m.dispose();
  });
});
