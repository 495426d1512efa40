/**
 * SegNet against docs/zoo.md and the paper: the registered parameter
 * counts, Caffe's rounding up at 360x480 (45 -> 23) with unpooling back to
 * 45, Table 1's parameter counts per decoder, the decoder's storage
 * measured on real tensors, a short training run, and ONNX export run by
 * onnxruntime-node.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { builtFacts, compareOnnx, countTrainableParams, initEngine, modelSpec, registeredModels, softmaxCrossEntropy, statedFacts, syntheticDataset, tf, tfl, trainStep, BatchLoader } from '@seg/core';
import { decoderStorage, segnet, segnetBasic, SEGNET_BASIC_DECODERS, TABLE1_NAMES, type SegNetBasicDecoder } from '../src/index.js';

describe('the registered models (docs/zoo.md)', () => {
  beforeAll(() => initEngine());

  // The registrations state docs/zoo.md's counts; a build at the stated defaults must reach them.
  for (const spec of registeredModels().filter((s) => s.package === '@seg/segnet')) {
    it(`${spec.name}: ${spec.params?.toLocaleString('en')} trainable parameters, ${spec.input?.join('x')} in, ${spec.classes} classes at the input size out`, () => {
      const built = builtFacts(spec);
      expect(built).toMatchObject(statedFacts(spec));
      expect(built.output).toEqual([spec.input![0], spec.input![1], spec.classes]);
    });
  }
});

describe('segnet-vgg16', () => {
  beforeAll(() => initEngine());

  it('rounds its poolings up at 360x480 as Caffe does and unpools back', () => {
    const m = modelSpec('segnet-vgg16')!.build();
    // pooling rounds up like Caffe: 360x480 -> 180x240 -> 90x120 -> 45x60 -> 23x30 -> 12x15
    expect(['pool1', 'pool2', 'pool3', 'pool4', 'pool5'].map((n) => (m.getLayer(n).output as tfl.SymbolicTensor[])[0]!.shape.slice(1, 3))).toEqual([
      [180, 240],
      [90, 120],
      [45, 60],
      [23, 30],
      [12, 15],
    ]);
    // and each unpooling restores its encoder's stored size
    expect((m.getLayer('upsample4').output as tfl.SymbolicTensor).shape.slice(1, 3)).toEqual([45, 60]);
    m.dispose();
  });
});

describe('SegNet-Basic and the Table 1 decoders', () => {
  beforeAll(() => initEngine());

  // Counted here by hand from the layers (Sec. 4.1), no biases before BN: encoder 9,408 + 3 x 200,704
  // conv weights + 4 x 128 BN; Table 1 rounds to 0.625 / 1.425 / 0.65 / 1.625 M.
  const encoder = 9408 + 3 * 200_704 + 4 * 128;
  const expected: Record<SegNetBasicDecoder, number> = {
    segnet: encoder + 4 * 200_704 + 4 * 128 + 64 * 11 + 11,
    'single-channel': encoder + 4 * 49 * 64 + 4 * 128 + 64 * 11 + 11,
    'encoder-addition': encoder + 4 * 200_704 + 4 * 128 + 64 * 11 + 11,
    bilinear: encoder + 4 * 49 * 64 + 4 * 128 + 64 * 11 + 11,
    fcn: encoder + 5 * (64 * 11 + 11) + 4 * 64 * 11 * 11,
    'fcn-no-addition': encoder + (64 * 11 + 11) + 4 * 64 * 11 * 11,
    'fcn-no-dim-reduction': encoder + 4 * 64 * 64 * 64 + 64 * 11 + 11,
    'fcn-no-addition-no-dim-reduction': encoder + 4 * 64 * 64 * 64 + 64 * 11 + 11,
  };
  const table1: Record<SegNetBasicDecoder, number> = {
    segnet: 1.425,
    'single-channel': 0.625,
    'encoder-addition': 1.425,
    bilinear: 0.625,
    fcn: 0.65,
    'fcn-no-addition': 0.65,
    'fcn-no-dim-reduction': 1.625,
    'fcn-no-addition-no-dim-reduction': 1.625,
  };
  for (const decoder of SEGNET_BASIC_DECODERS) {
    it(`${TABLE1_NAMES[decoder]}: ${expected[decoder].toLocaleString('en-US')} parameters (Table 1: ${table1[decoder]}M), 360x480 in and out`, () => {
      const m = modelSpec(TABLE1_NAMES[decoder])!.build({ size: [360, 480] });
      expect(m.outputs[0]!.shape).toEqual([null, 360, 480, 11]);
      const n = countTrainableParams(m);
      m.dispose();
      expect(n).toBe(expected[decoder]);
      // within 0.04M of Table 1 (the 64-channel 8x8 deconvolutions give 1.661M where the paper prints 1.625M)
      expect(Math.abs(n / 1e6 - table1[decoder])).toBeLessThan(0.04);
    });
  }

  it('decoder storage from the actual tensors: indices for SegNet, feature maps for the FCN decoders, nothing without additions', () => {
    const x = tf.randomUniform([1, 48, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const storage = (decoder: SegNetBasicDecoder) => {
      const m = segnetBasic({ decoder, size: [48, 64] });
      const s = decoderStorage(m, x, 'pool4');
      m.dispose();
      return s;
    };
    // indices of the four pools: 24x32, 12x16, 6x8, 3x4 windows, 64 channels, int32
    const indexBytes = 4 * 64 * (24 * 32 + 12 * 16 + 6 * 8 + 3 * 4);
    expect(storage('segnet')).toMatchObject({ indexBytes, mapBytes: 0 });
    expect(storage('single-channel')).toMatchObject({ indexBytes, mapBytes: 0 });
    // the full-resolution 64-channel encoder maps: 48x64, 24x32, 12x16, 6x8
    const maps = 4 * 64 * (48 * 64 + 24 * 32 + 12 * 16 + 6 * 8);
    expect(storage('encoder-addition')).toMatchObject({ indexBytes, mapBytes: maps });
    expect(storage('fcn')).toMatchObject({ indexBytes: 0, mapBytes: maps });
    // with the 1x1 reductions on the encoder's side, FCN-Basic keeps K = 11 channels per map
    const m = segnetBasic({ decoder: 'fcn', size: [48, 64] });
    expect(decoderStorage(m, x, 'pool4', { encoderSide: (n) => /^score_conv/.test(n) })).toMatchObject({ indexBytes: 0, mapBytes: (maps / 64) * 11 });
    m.dispose();
    // indices packed to 2 bits: a sixteenth of their int32 bytes
    expect(storage('segnet').packedBytes).toBe(indexBytes / 16);
    expect(storage('fcn-no-dim-reduction')).toMatchObject({ indexBytes: 0, mapBytes: maps });
    for (const d of ['fcn-no-addition', 'fcn-no-addition-no-dim-reduction', 'bilinear'] as const) expect(storage(d).bytes, d).toBe(0);
    x.dispose();
  });

  it('unpooling puts each maximum back where it was, zeros elsewhere, at the stored odd size', () => {
    const m = segnetBasic({ size: [5, 7] });
    const pool = m.getLayer('pool1');
    const x = tf.tensor4d(Array.from({ length: 5 * 7 }, (_, i) => ((i * 37) % 11) - 5), [1, 5, 7, 1]);
    const [pooled, indices] = pool.apply(x) as tf.Tensor[];
    expect(pooled!.shape).toEqual([1, 3, 4, 1]);
    const unpool = m.getLayer('upsample1');
    const up = unpool.apply([pooled!, indices!, x]) as tf.Tensor;
    expect(up.shape).toEqual([1, 5, 7, 1]);
    const xs = Array.from(x.dataSync());
    const ups = Array.from(up.dataSync());
    // every window's maximum survives at its own position; the rest is zero
    for (let wy = 0; wy < 3; wy++)
      for (let wx = 0; wx < 4; wx++) {
        const cells = [];
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) if (2 * wy + dy < 5 && 2 * wx + dx < 7) cells.push((2 * wy + dy) * 7 + 2 * wx + dx);
        const best = cells.reduce((a, b) => (xs[b]! > xs[a]! ? b : a));
        for (const c of cells) expect(ups[c]).toBe(c === best ? xs[best] : 0);
      }
    tf.dispose([x, pooled!, indices!, up]);
    m.dispose();
  });

  it('SegNet-Basic trains: the loss falls by a third over 30 SGD steps on synthetic scenes', async () => {
    const m = segnetBasic({ size: [null, null], classes: 3, features: 16, seed: 1 });
    const data = syntheticDataset({ count: 4, height: 32, width: 48, classes: 3, seed: 2 });
    const batch = BatchLoader.toTensors(await new BatchLoader(data, 4, 1).samples(0));
    const opt = tf.train.momentum(0.05, 0.9);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) losses.push(await trainStep(m, opt, batch.images, batch.labels, (l, y) => softmaxCrossEntropy(l, y)));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(Math.min(...losses.slice(-3))).toBeLessThan((2 / 3) * losses[0]!);
    opt.dispose();
    tf.dispose([batch.images, batch.labels]);
    m.dispose();
  });
});

describe('ONNX export (run by onnxruntime-node)', () => {
  beforeAll(() => initEngine());
  const faithful = async (model: tfl.LayersModel, h: number, w: number) => {
    const x = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const r = await compareOnnx(model, x);
    x.dispose();
    model.dispose();
    expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-3);
    expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
  };
  it('segnet-vgg16 (width 1/8) at 45x61: odd sizes round up and unpool back', async () => {
    await faithful(segnet({ size: [45, 61], width: 0.125, seed: 2 }), 45, 61);
  });
  for (const decoder of SEGNET_BASIC_DECODERS) {
    it(`${TABLE1_NAMES[decoder]} at 45x61`, async () => {
      await faithful(segnetBasic({ decoder, size: [45, 61], seed: 3 }), 45, 61);
    });
  }
});
