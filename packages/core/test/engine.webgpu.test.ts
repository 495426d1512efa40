/**
 * The webgpu engine (Dawn through tfjs's webgpu backend), run by `pnpm test`'s
 * webgpu pass on whatever adapter SEG_BACKEND=webgpu finds (here: Mesa's
 * llvmpipe, a software one). Every op the zoo trains with, and its gradients,
 * against the cpu backend; a tensor leak check per step; and the trainer,
 * inference and evaluation with synchronous readback made to throw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluate, infer, initEngine, maxPoolWithArgmax, maxUnpool, softmaxCrossEntropy, syntheticDataset, tf, tfl, train, trainStep, useBackend } from '../src/index.js';
import { relErr, seeded } from './helpers.js';

const TOL = 1e-4;
const dir = mkdtempSync(path.join(tmpdir(), 'seg-webgpu-'));

beforeAll(async () => {
  const info = await initEngine({ backend: 'webgpu', force: true });
  expect(info.backend).toBe('webgpu');
  expect(info.adapter).toBeTruthy();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** f's value and its gradients with respect to every input, on one backend, read asynchronously. */
async function valueAndGrads(backend: 'cpu' | 'webgpu', f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: { data: Float32Array; shape: number[] }[]): Promise<Float32Array[]> {
  await useBackend(backend);
  const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
  const { value, grads } = tf.valueAndGrads(f)(xs);
  const out = [(await value.data()) as Float32Array, ...(await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)))];
  tf.dispose([value, ...grads, ...xs]);
  await useBackend('webgpu');
  return out;
}

const input = (shape: number[], seed: number, scale = 1) => ({ data: seeded(shape.reduce((a, b) => a * b, 1), seed).map((v) => v * scale), shape });

// Each case: one op the zoo uses (with the settings it uses), reduced against fixed weights so every output element gets its own gradient.
const cases: [string, (...xs: tf.Tensor[]) => tf.Scalar, { data: Float32Array; shape: number[] }[]][] = [];
const weigh = (y: tf.Tensor, seed: number) => tf.sum(tf.mul(y, tf.tensor(seeded(y.size, seed), y.shape))) as tf.Scalar;
const conv = (name: string, xs: number[], ws: number[], stride: number, pad: 'same' | 'valid' | number, dilation = 1) =>
  cases.push([name, (x, w) => weigh(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad as 'same', 'NHWC', dilation), 11), [input(xs, 1), input(ws, 2, 0.3)]]);
conv('conv2d 3x3, numeric pad 1 (U-Net same, VGG)', [2, 9, 7, 3], [3, 3, 3, 5], 1, 1);
conv('conv2d 3x3 valid (U-Net valid)', [1, 10, 8, 2], [3, 3, 2, 4], 1, 'valid');
conv('conv2d 3x3 dilation 2, pad 2 (DeepLab atrous)', [1, 11, 9, 3], [3, 3, 3, 4], 1, 2, 2);
conv('conv2d 7x7 stride 2, pad 3 (ResNet stem)', [1, 15, 13, 3], [7, 7, 3, 4], 2, 3);
conv('conv2d 1x1 stride 2 (ResNet projection)', [2, 8, 8, 6], [1, 1, 6, 4], 2, 'valid');
const deconv = (name: string, k: number, s: number, hw: [number, number], ci: number, co: number) =>
  cases.push([
    name,
    (x, w) => weigh(tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, hw[0] * s, hw[1] * s, co], s, 'same'), 12),
    [input([2, hw[0], hw[1], ci], 3), input([k, k, co, ci], 4, 0.3)],
  ]);
deconv('conv2dTranspose 4x4 stride 2 (FCN x2, U-Net up-convolution)', 4, 2, [5, 4], 3, 2);
deconv('conv2dTranspose 16x16 stride 8 (FCN-8s x8)', 16, 8, [3, 2], 2, 2);
cases.push(['depthwiseConv2d 3x3 dilation 2', (x, w) => weigh(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2), 13), [input([1, 9, 8, 3], 5), input([3, 3, 3, 1], 6, 0.3)]]);
cases.push(['maxPool 2x2 stride 2 (U-Net, SegNet)', (x) => weigh(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), 14), [input([2, 8, 6, 3], 7)]]);
cases.push(['maxPool 3x3 stride 2 pad 1 (ResNet stem)', (x) => weigh(tf.maxPool(x as tf.Tensor4D, 3, 2, 1), 15), [input([1, 9, 9, 2], 8)]]);
// SegNet's pooling with indices (Caffe's ceil rounding on odd sizes) and its unpooling, as the layers run them.
type Sym = Parameters<typeof maxPoolWithArgmax>[0];
cases.push([
  'max pooling with indices, ceil rounding, then unpooling (SegNet)',
  (x) => {
    const [pooled, indices] = maxPoolWithArgmax(x as unknown as Sym, undefined, { ceil: true }) as unknown as [Sym, Sym];
    return weigh(maxUnpool(pooled, indices, x as unknown as Sym) as unknown as tf.Tensor, 16);
  },
  [input([1, 7, 5, 2], 9)],
]);
cases.push(['avgPool 3x3 stride 3 (PSPNet bins)', (x) => weigh(tf.avgPool(x as tf.Tensor4D, 3, 3, 'valid'), 17), [input([1, 9, 6, 2], 10)]]);
for (const align of [false, true]) {
  cases.push([`resizeBilinear x4, alignCorners ${align}`, (x) => weigh(tf.image.resizeBilinear(x as tf.Tensor4D, [12, 20], align, !align), 18), [input([1, 3, 5, 2], 11)]]);
}
cases.push([
  'batch norm in training (batch statistics, FusedBatchNorm)',
  (x, g, b) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return weigh(tf.relu(tf.batchNorm(x as tf.Tensor4D, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3)), 19);
  },
  [input([2, 5, 4, 3], 12), { data: Float32Array.from([1.2, 0.8, 1.5]), shape: [3] }, input([3], 13)],
]);
cases.push([
  'softmax cross-entropy with class weights and an ignored label (the losses)',
  (l) => softmaxCrossEntropy(l as tf.Tensor4D, tf.tensor3d(Int32Array.from({ length: 2 * 4 * 5 }, (_, i) => (i % 7 === 0 ? 255 : i % 3)), [2, 4, 5], 'int32'), { classWeights: [0.5, 1, 2], ignoreIndex: 255 }),
  [input([2, 4, 5, 3], 14, 2)],
]);
cases.push(['concat and add (skips, U-Net crops)', (a, b) => weigh(tf.add(tf.concat([a!, b!], 3), tf.concat([b!, a!], 3)), 20), [input([1, 4, 4, 2], 15), input([1, 4, 4, 2], 16)]]);

describe('webgpu: the zoo ops and their gradients equal the cpu backend', () => {
  for (const [name, f, inputs] of cases) {
    it(name, async () => {
      const ref = await valueAndGrads('cpu', f, inputs);
      const got = await valueAndGrads('webgpu', f, inputs);
      ref.forEach((r, i) => expect(relErr(got[i]!, r), `${i === 0 ? 'value' : `gradient ${i}`}`).toBeLessThan(TOL));
    });
  }
});

/** A small conv net with batch norm, pooling and an up-convolution: the zoo's layers in one. */
function smallNet(seed: number): tfl.LayersModel {
  const x = tfl.input({ shape: [16, 16, 3] });
  let y = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }).apply(x) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization().apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.reLU().apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }).apply(y) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

describe('webgpu: training and inference', () => {
  it('a training step leaves no tensor behind', async () => {
    await useBackend('webgpu');
    const model = smallNet(1);
    const opt = tf.train.momentum(0.01, 0.9);
    const images = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const labels = tf.argMax(images, -1) as tf.Tensor3D;
    const loss = (l: tf.Tensor4D, y: tf.Tensor3D) => softmaxCrossEntropy(l, y);
    await trainStep(model, opt, images, labels, loss);
    const after = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await trainStep(model, opt, images, labels, loss);
      expect(tf.memory().numTensors).toBe(after);
    }
    tf.dispose([images, labels]);
    opt.dispose();
    model.dispose();
  });

  it('the trainer, inference and evaluation never read the GPU synchronously (dataSync, arraySync made to throw)', async () => {
    await useBackend('webgpu');
    const data = syntheticDataset({ count: 4, height: 16, width: 16, classes: 3, seed: 3 });
    const model = smallNet(2);
    const sync = [vi.spyOn(tf.Tensor.prototype, 'dataSync'), vi.spyOn(tf.Tensor.prototype, 'arraySync')];
    for (const s of sync) s.mockImplementation(() => {
      throw new Error('synchronous readback');
    });
    try {
      const r = await train(model, data, { iters: 4, batchSize: 2, optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9 }, seed: 1, runDir: path.join(dir, 'run'), checkpointEvery: 2, logEvery: 1, quiet: true });
      expect(Number.isFinite(r.loss)).toBe(true);
      const p = await infer(model, await data.get(0));
      expect(p.labels).toHaveLength(16 * 16);
      const e = await evaluate(model, data);
      expect(e.pixel_acc).toBeGreaterThanOrEqual(0);
    } finally {
      for (const s of sync) s.mockRestore();
      model.dispose();
    }
  });
});
