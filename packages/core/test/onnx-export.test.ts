/**
 * ONNX export: each layer conversion against the tfjs model it came from,
 * run by onnxruntime-node (logits within 1e-3, argmax agreeing on >= 99.9%
 * of pixels), on small graphs that cover every exporter: SegNet's
 * max-pooling with indices and unpooling, PSPNet's pyramid pooling with
 * overlapping bins, odd sizes where TensorFlow's "same" padding is
 * asymmetric, transposed convolutions, batch norm with real statistics.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import {
  adaptiveAvgPool,
  adaptiveMaxPool,
  batchNorm,
  centerCrop,
  compareOnnx,
  Conv2D,
  conv,
  convBnRelu,
  convRelu,
  deepest,
  dropout,
  exportOnnx,
  initEngine,
  knownWeights,
  registerWeights,
  segmentationModel,
  writeSeededWeights,
  maxPool,
  maxPoolWithArgmax,
  maxUnpool,
  resize,
  seededBuild,
  separableConvBnRelu,
  tf,
  tfl,
} from '../src/index.js';

type T = tfl.SymbolicTensor;

/** Gives every batch norm non-trivial statistics, so that folding them is tested. */
function randomiseNorms(model: tfl.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    const names = layer.weights.map((w) => w.originalName.split('/').pop()!);
    if (!names.includes('moving_mean')) continue;
    layer.setWeights(
      layer.weights.map((w, i) => {
        const n = names[i]!;
        const shape = w.shape as number[];
        if (n === 'gamma') return tf.randomUniform(shape, 0.5, 1.5, 'float32', s++);
        if (n === 'beta' || n === 'moving_mean') return tf.randomUniform(shape, -0.5, 0.5, 'float32', s++);
        if (n === 'moving_variance') return tf.randomUniform(shape, 0.5, 2, 'float32', s++);
        return w.read();
      }),
    );
  }
}

async function expectFaithful(model: tfl.LayersModel, h: number, w: number, channels = 3) {
  randomiseNorms(model, 11);
  const x = tf.randomUniform([1, h, w, channels], 0, 1, 'float32', 5) as tf.Tensor4D;
  const r = await compareOnnx(model, x);
  x.dispose();
  expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-3);
  expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
  return r;
}

describe('ONNX export', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it('SegNet-style max-pooling with indices and unpooling (odd sizes)', async () => {
    const model = seededBuild(1, () => {
      const input = tfl.input({ shape: [30, 22, 3] });
      const e1 = convBnRelu(input, 8);
      const [p1, i1] = maxPoolWithArgmax(e1);
      const e2 = convBnRelu(p1, 8);
      const [p2, i2] = maxPoolWithArgmax(e2);
      const d2 = convBnRelu(maxUnpool(convBnRelu(p2, 8), i2, e2), 8);
      const d1 = convBnRelu(maxUnpool(d2, i1, e1), 8);
      return tfl.model({ inputs: input, outputs: conv(d1, 4) });
    });
    const r = await expectFaithful(model, 30, 22);
    expect(r.pixels).toBe(30 * 22);
  });

  it('PSPNet-style pyramid pooling: adaptive bins 1, 2, 3, 6 (overlapping on 9x11), bilinear up, concat', async () => {
    const model = seededBuild(1, () => {
      const input = tfl.input({ shape: [35, 41, 3] });
      const feat = convBnRelu(convBnRelu(input, 8, { stride: 2 }), 8, { stride: 2, dilation: 1 });
      const dilated = convBnRelu(feat, 8, { dilation: 2 });
      const branches = [1, 2, 3, 6].map((bins) => resize(convBnRelu(adaptiveAvgPool(dilated, bins), 4, { kernel: 1 }), { like: dilated }));
      const fused = tfl.layers.concatenate().apply([dilated, ...branches]) as T;
      const head = conv(dropout(convBnRelu(fused, 8), 0.1), 5, { kernel: 1 });
      return tfl.model({ inputs: input, outputs: resize(head, { like: input }) });
    });
    await expectFaithful(model, 35, 41);
  });

  it('adaptive max pooling: bins 1, 2, 3, 6 (overlapping on 9x11), as PSPNet Table 1\'s MAX', async () => {
    const model = seededBuild(1, () => {
      const input = tfl.input({ shape: [35, 41, 3] });
      const feat = convBnRelu(convBnRelu(input, 8, { stride: 2 }), 8, { stride: 2 });
      const branches = [1, 2, 3, 6].map((bins) => resize(adaptiveMaxPool(feat, bins), { like: feat }));
      const fused = tfl.layers.concatenate().apply([feat, ...branches]) as T;
      return tfl.model({ inputs: input, outputs: resize(conv(fused, 5, { kernel: 1 }), { like: input }) });
    });
    await expectFaithful(model, 35, 41);
  });

  it('"same" padding on odd sizes, strides, dilation, separable convs, pools, transposed convs, crops, align-corners resize', async () => {
    const model = seededBuild(1, () => {
      const input = tfl.input({ shape: [27, 31, 3] });
      const a = new Conv2D({ kernelSize: 3, strides: 2, padding: 'same', filters: 6 }).apply(input) as T; // 14x16
      const b = separableConvBnRelu(a, 8, { dilation: 2 });
      const c = batchNorm(tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(b) as T); // 7x8
      const d = maxPool(convRelu(c, 8), { size: 3, stride: 1, padding: 'same' });
      const up1 = tfl.layers.conv2dTranspose({ filters: 6, kernelSize: 4, strides: 2, padding: 'same', useBias: true, biasInitializer: 'glorotUniform' }).apply(d) as T; // 14x16
      const up2 = tfl.layers.conv2dTranspose({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }).apply(up1) as T; // 29x33
      const cropped = centerCrop(up2, input); // 27x31
      const sum = tfl.layers.add().apply([cropped, resize(a, { like: input, alignCorners: true })]) as T;
      const out = conv(tfl.layers.activation({ activation: 'relu' }).apply(sum) as T, 4, { kernel: 1 });
      return tfl.model({ inputs: input, outputs: out });
    });
    await expectFaithful(model, 27, 31);
  });

  it("a dilated ResNet-50 started from torchvision's ImageNet weights: its normalising first layer, torchvision's padded max-pool", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seg-onnx-imagenet-'));
    const before = { dir: process.env.SEG_WEIGHTS_DIR, w: { ...knownWeights('resnet50-imagenet') } };
    process.env.SEG_WEIGHTS_DIR = dir;
    try {
      const file = path.join(dir, 'resnet50-imagenet.safetensors');
      writeSeededWeights(file, 'resnet50');
      registerWeights({ ...before.w, size: statSync(file).size, sha256: null });
      const model = segmentationModel({ name: 'r50', size: [41, 45], backbone: { name: 'resnet50', outputStride: 8, pretrained: 'imagenet' }, head: (e) => conv(deepest(e), 4, { kernel: 1, name: 'classifier' }) });
      expect(model.layers.map((l) => l.getClassName())).toEqual(expect.arrayContaining(['SegImageNetNormalize', 'ZeroPadding2D']));
      const x = tf.randomUniform([1, 41, 45, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const scale = tf.tidy(() => tf.max(tf.abs(model.predict(x) as tf.Tensor)).dataSync()[0]!);
      const r = await compareOnnx(model, x);
      x.dispose();
      model.dispose();
      // Relative to the logits' scale: the seeded weights make them large.
      expect(r.maxAbsDiff / Math.max(scale, 1)).toBeLessThanOrEqual(1e-4);
      expect(r.argmaxAgreement).toBeGreaterThanOrEqual(0.999);
    } finally {
      registerWeights(before.w);
      if (before.dir === undefined) delete process.env.SEG_WEIGHTS_DIR;
      else process.env.SEG_WEIGHTS_DIR = before.dir;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('writes an opset-13 NCHW graph with the declared input and output shapes', () => {
    const model = seededBuild(1, () => {
      const input = tfl.input({ shape: [null, null, 1] });
      return tfl.model({ inputs: input, outputs: conv(input, 2) });
    });
    const e = exportOnnx(model, { size: [20, 24] });
    expect(e.opset).toBe(13);
    expect(e.inputs).toEqual([{ name: 'input', shape: [1, 1, 20, 24], layout: 'NCHW' }]);
    expect(e.outputs).toEqual([{ name: 'logits', shape: [1, 2, 20, 24], layout: 'NCHW' }]);
    const decoded = onnxProto.onnx.ModelProto.decode(e.bytes);
    expect(Number(decoded.opsetImport[0]!.version)).toBe(13);
    expect((decoded.graph?.node ?? []).map((n) => n.opType)).toEqual(['Conv', 'Identity']);
  });

  it('refuses what it cannot convert, in one sentence', () => {
    const input = tfl.input({ shape: [null, null, 3] });
    const model = tfl.model({ inputs: input, outputs: conv(input, 2) });
    expect(() => exportOnnx(model)).toThrow(/takes any input size: give the export size \(--size HxW\)\.$/);
    const fixed = tfl.input({ shape: [8, 8, 3] });
    const upsampling = tfl.model({ inputs: fixed, outputs: tfl.layers.upSampling2d({ size: [2, 2] }).apply(fixed) as T });
    expect(() => exportOnnx(upsampling)).toThrow(/has no ONNX conversion\.$/);
    expect(() => exportOnnx(tfl.model({ inputs: fixed, outputs: conv(fixed, 2) }), { size: [16, 16] })).toThrow('takes exactly 8x8 inputs, not 16x16.');
  });
});
