/**
 * Every building block: forward shape, gradients (input and weights) on wasm
 * against the cpu backend, and save/load round trips.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool,
  adaptiveMaxPool,
  adaptiveBins,
  atrousConv,
  bilinearKernel,
  centerCrop,
  Conv2D,
  convBn,
  convBnRelu,
  dropout,
  fileSystem,
  initEngine,
  maxPoolWithArgmax,
  maxUnpool,
  resize,
  separableConvBnRelu,
  seededBuild,
  tf,
  tfl,
  transposedUpsample,
} from '../src/index.js';
import { onBackend, relErr, seeded, engineName } from './helpers.js';

type T = tfl.SymbolicTensor;
const TOL = 1e-4;

/** A model of `f`, its initial weights from `seed` (layers/seeds.ts) when given. */
function build(shape: number[], f: (x: T) => T | T[], seed?: number) {
  return seededBuild(seed, () => {
    const input = tfl.input({ shape });
    return tfl.model({ inputs: input, outputs: f(input) });
  });
}

/** Gradients of sum(model(x) * r) w.r.t. the input and every trainable weight. */
function gradients(m: tfl.LayersModel, x0: Float32Array, shape: number[], training: boolean) {
  return tf.tidy(() => {
    const x = tf.tensor(x0, [1, ...shape]);
    const outShape = (m.apply(x, { training }) as tf.Tensor).shape;
    const r = tf.tensor(seeded(outShape.reduce((a, b) => a * b, 1), 7), outShape);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(m.apply(input, { training }) as tf.Tensor, r)) as tf.Scalar;
    const dx = tf.grad(f)(x);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const grads = vars.length ? tf.variableGrads(() => f(x), vars).grads : {};
    return {
      out: (m.apply(x, { training }) as tf.Tensor).dataSync(),
      dx: dx.dataSync(),
      dw: Object.keys(grads).sort().map((k) => grads[k]!.dataSync()),
    };
  });
}

async function checkGradients(m: tfl.LayersModel, shape: number[], training = true) {
  const x0 = seeded(shape.reduce((a, b) => a * b, 1), 3);
  const ref = await onBackend('cpu', () => gradients(m, x0, shape, training));
  const got = await onBackend(engineName(), () => gradients(m, x0, shape, training));
  expect(relErr(got.out, ref.out)).toBeLessThan(TOL);
  expect(relErr(got.dx, ref.dx)).toBeLessThan(TOL);
  expect(got.dw.length).toBe(ref.dw.length);
  got.dw.forEach((g, i) => expect(relErr(g, ref.dw[i]!)).toBeLessThan(TOL));
  // gradients are not all zero (the check would be vacuous otherwise)
  expect(Math.max(...Array.from(ref.dx, Math.abs))).toBeGreaterThan(0);
}

describe('building blocks', () => {
  let dir: string;
  beforeAll(async () => {
    await initEngine();
    dir = mkdtempSync(path.join(tmpdir(), 'seg-blocks-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('conv-bn-relu: shape, stride-2 PyTorch padding, gradients in training mode', async () => {
    const m = build([9, 11, 3], (x) => convBnRelu(convBnRelu(x, 5), 6, { stride: 2 }), 1);
    expect(m.outputs[0]!.shape).toEqual([null, 5, 6, 6]);
    await checkGradients(m, [9, 11, 3]);
  });

  it('the fused conv-bn(-relu) op equals conv -> batch norm -> ReLU composed from tfjs layers', async () => {
    for (const [stride, dilation, relu] of [
      [1, 1, true],
      [2, 1, true],
      [1, 2, false],
    ] as const) {
      const shape = [9, 10, 3];
      const fused = build(shape, (x) => convBn(x, 4, { stride, dilation, relu }), 7);
      const composed = build(shape, (x) => {
        const z = new Conv2D({ filters: 4, kernelSize: 3, strides: stride, dilationRate: dilation, padding: dilation, useBias: false }).apply(x) as T;
        const b = tfl.layers.batchNormalization({ axis: -1, epsilon: 1e-5 }).apply(z) as T;
        return relu ? (tfl.layers.reLU().apply(b) as T) : b;
      });
      // same kernel, gamma, beta (random, so the test sees them)
      const [kernel] = fused.getWeights();
      composed.setWeights([kernel!, tf.tensor1d(seeded(4, 1).map((v) => v + 1.5)), tf.tensor1d(seeded(4, 2)), tf.zeros([4]), tf.ones([4])]);
      fused.setWeights([kernel!, tf.tensor1d(seeded(4, 1).map((v) => v + 1.5)), tf.tensor1d(seeded(4, 2)), tf.zeros([4]), tf.ones([4])]);
      const x0 = seeded(2 * 9 * 10 * 3, 3);
      for (const backend of ['cpu', engineName()] as const) {
        const run = (m: tfl.LayersModel) =>
          onBackend(backend, () =>
            tf.tidy(() => {
              const x = tf.tensor4d(x0, [2, 9, 10, 3]);
              const outShape = (m.apply(x, { training: true }) as tf.Tensor).shape;
              const r = tf.tensor(seeded(outShape.reduce((a, b) => a * b, 1), 4), outShape);
              const f = () => tf.sum(tf.mul(m.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar;
              const { grads } = tf.variableGrads(f, m.trainableWeights.map((w) => w.read() as tf.Variable));
              const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(m.apply(a, { training: true }) as tf.Tensor, r)))(x);
              return [(m.apply(x, { training: true }) as tf.Tensor).dataSync(), dx.dataSync(), ...m.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name]!.dataSync())];
            }),
          );
        const a = await run(fused);
        const b = await run(composed);
        a.forEach((v, i) => expect(relErr(v, b[i]!)).toBeLessThan(TOL));
      }
      // moving statistics follow PyTorch: momentum 0.1, unbiased variance
      const x = tf.tensor4d(x0, [2, 9, 10, 3]);
      const before = fused.getWeights().slice(3).map((t) => t.dataSync());
      const z = tf.conv2d(x, kernel as tf.Tensor4D, stride, dilation, 'NHWC', dilation);
      const { mean, variance } = tf.moments(z, [0, 1, 2]);
      const n = z.shape[0] * z.shape[1] * z.shape[2];
      fused.apply(x, { training: true });
      const [mm, mv] = fused.getWeights().slice(3).map((t) => t.dataSync());
      const m0 = mean.dataSync();
      const v0 = variance.dataSync();
      for (let c = 0; c < 4; c++) {
        expect(mm![c]).toBeCloseTo(0.9 * before[0]![c]! + 0.1 * m0[c]!, 5);
        expect(mv![c]).toBeCloseTo(0.9 * before[1]![c]! + 0.1 * v0[c]! * (n / (n - 1)), 5);
      }
    }
  });

  it('atrous conv: rates 2 and 12 keep the size, gradients match', async () => {
    const m = build([27, 25, 3], (x) => atrousConv(atrousConv(x, 4, 2), 5, 12), 3);
    expect(m.outputs[0]!.shape).toEqual([null, 27, 25, 5]);
    await checkGradients(m, [27, 25, 3]);
  });

  it('bilinear resize to a size, by a factor, and to another tensor', async () => {
    const m = build([5, 7, 3], (x) => {
      const a = resize(x, { scale: 2 });
      const b = resize(a, { size: [13, 9] });
      return resize(b, { like: x, alignCorners: true });
    });
    expect(m.outputs[0]!.shape).toEqual([null, 5, 7, 3]);
    const inner = build([5, 7, 3], (x) => resize(x, { scale: 2 }));
    expect(inner.outputs[0]!.shape).toEqual([null, 10, 14, 3]);
    await checkGradients(m, [5, 7, 3]);
    // factor-2 resize of a constant image is the constant
    const y = inner.predict(tf.fill([1, 5, 7, 3], 0.5)) as tf.Tensor;
    expect(relErr(y.dataSync(), new Float32Array(10 * 14 * 3).fill(0.5))).toBeLessThan(1e-6);
    y.dispose();
  });

  it('transposed conv with bilinear initialisation upsamples like bilinear interpolation', async () => {
    expect(Array.from(bilinearKernel(4))).toEqual(
      [0.0625, 0.1875, 0.1875, 0.0625, 0.1875, 0.5625, 0.5625, 0.1875, 0.1875, 0.5625, 0.5625, 0.1875, 0.0625, 0.1875, 0.1875, 0.0625],
    );
    const m = build([6, 5, 3], (x) => transposedUpsample(x, { factor: 2 }));
    expect(m.outputs[0]!.shape).toEqual([null, 12, 10, 3]);
    // Interior of a linear ramp stays a ramp: bilinear interpolation is exact on it.
    const ramp = tf.tidy(() => tf.tile(tf.reshape(tf.range(0, 5), [1, 1, 5, 1]), [1, 6, 1, 3]));
    const up = (m.predict(ramp) as tf.Tensor).arraySync() as number[][][][];
    const row = up[0]![5]!.map((px) => px[1]!);
    for (let j = 2; j < 8; j++) expect(row[j + 1]! - row[j]!).toBeCloseTo(0.5, 5);
    ramp.dispose();
    await checkGradients(m, [6, 5, 3]);
    const fixed = build([6, 5, 3], (x) => transposedUpsample(x, { factor: 4, trainable: false }));
    expect(fixed.trainableWeights.length).toBe(0);
  });

  it('centre crop takes the middle (floor offset) and passes gradients', async () => {
    const m = build([9, 8, 2], (x) => centerCrop(x, tfl.layers.maxPooling2d({ poolSize: 2 }).apply(x) as T));
    expect(m.outputs[0]!.shape).toEqual([null, 4, 4, 2]);
    const x = tf.tensor4d(Array.from({ length: 9 * 8 * 2 }, (_, i) => i), [1, 9, 8, 2]);
    const y = (m.predict(x) as tf.Tensor).arraySync() as number[][][][];
    // offset floor((9-4)/2)=2 rows, (8-4)/2=2 cols: first value is x[2][2][0]
    expect(y[0]![0]![0]![0]).toBe((2 * 8 + 2) * 2);
    x.dispose();
    await checkGradients(m, [9, 8, 2]);
  });

  it('rounding-up max-pool (Caffe, SegNet) and unpooling back to the odd size: shapes and gradients', async () => {
    const m = build([7, 5, 2], (x) => {
      const [pooled, indices] = maxPoolWithArgmax(x, 'pool', { ceil: true });
      return maxUnpool(pooled, indices, x);
    });
    expect((m.getLayer('pool').output as T[])[0]!.shape).toEqual([null, 4, 3, 2]);
    expect(m.outputs[0]!.shape).toEqual([null, 7, 5, 2]);
    await checkGradients(m, [7, 5, 2]);
  });

  it('max-pool keeps argmax indices and max-unpool puts values back there', async () => {
    const m = build([7, 6, 3], (x) => {
      const [pooled, indices] = maxPoolWithArgmax(x);
      return maxUnpool(pooled, indices, x);
    });
    expect(m.outputs[0]!.shape).toEqual([null, 7, 6, 3]);
    const x0 = seeded(7 * 6 * 3, 11);
    const x = tf.tensor4d(x0, [1, 7, 6, 3]);
    const y = (m.predict(x) as tf.Tensor).dataSync();
    // every window of the (floored) 6x6 area keeps exactly its maximum; row 6 (odd leftover) is zero
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          const at = (r: number, q: number) => (r * 6 + q) * 3 + c;
          const cells = [at(2 * i, 2 * j), at(2 * i, 2 * j + 1), at(2 * i + 1, 2 * j), at(2 * i + 1, 2 * j + 1)];
          const max = Math.max(...cells.map((k) => x0[k]!));
          expect(cells.map((k) => y[k]! + 0)).toEqual(cells.map((k) => (x0[k] === max ? max : 0)));
        }
    for (let q = 0; q < 6 * 3; q++) expect(y[6 * 6 * 3 + q]).toBe(0);
    x.dispose();
    await checkGradients(m, [7, 6, 3]);
  });

  it('adaptive average pool uses PyTorch bin edges and matches hand-computed means', async () => {
    expect(adaptiveBins(5, 3)).toEqual([
      [0, 2],
      [1, 4],
      [3, 5],
    ]);
    const m = build([5, 4, 1], (x) => adaptiveAvgPool(x, 3));
    expect(m.outputs[0]!.shape).toEqual([null, 3, 3, 1]);
    const x = tf.tensor4d(Array.from({ length: 20 }, (_, i) => i), [1, 5, 4, 1]);
    const y = (m.predict(x) as tf.Tensor).dataSync();
    // bin (0, 0): rows 0-1, cols 0-1 -> values 0, 1, 4, 5
    expect(y[0]).toBeCloseTo(2.5, 6);
    // bin (2, 2): rows 3-4, cols 2-3 -> 14, 15, 18, 19
    expect(y[8]).toBeCloseTo(16.5, 6);
    x.dispose();
    const pyramid = build([12, 12, 4], (x) =>
      tfl.layers.concatenate().apply([1, 2, 3, 6].map((b) => resize(adaptiveAvgPool(x, b), { like: x }))) as T,
    );
    expect(pyramid.outputs[0]!.shape).toEqual([null, 12, 12, 16]);
    await checkGradients(pyramid, [12, 12, 4]);
  });

  it('adaptive max pool takes the maximum of each PyTorch bin (overlapping ones too), with gradients', async () => {
    const m = build([5, 4, 1], (x) => adaptiveMaxPool(x, 3));
    expect(m.outputs[0]!.shape).toEqual([null, 3, 3, 1]);
    // A value per pixel that is largest at a bin's last row and column except where noted.
    const x = tf.tensor4d(Array.from({ length: 20 }, (_, i) => (i === 5 ? 100 : i)), [1, 5, 4, 1]);
    const y = Array.from((m.predict(x) as tf.Tensor).dataSync());
    // rows [0,2) [1,4) [3,5), cols [0,2) [1,3) [2,4); pixel (1, 1) = 100 lies in bins (0,0), (0,1), (1,0), (1,1).
    expect(y).toEqual([100, 100, 7, 100, 100, 15, 17, 18, 19]);
    x.dispose();
    const pyramid = build([12, 12, 4], (x) =>
      tfl.layers.concatenate().apply([1, 2, 3, 6].map((b) => resize(adaptiveMaxPool(x, b), { like: x }))) as T,
    );
    await checkGradients(pyramid, [12, 12, 4]);
  });

  it('depthwise-separable conv (atrous) has the right shape and gradients', async () => {
    const m = build([11, 9, 6], (x) => separableConvBnRelu(x, 5, { dilation: 2 }), 5);
    expect(m.outputs[0]!.shape).toEqual([null, 11, 9, 5]);
    // depthwise 3x3x6 (no bias) + BN(6) + pointwise 6x5 (no bias) + BN(5)
    expect(m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0)).toBe(54 + 12 + 30 + 10);
    await checkGradients(m, [11, 9, 6]);
  });

  it('dropout: identity at inference, zeroes about rate of the values and rescales in training', () => {
    const m = build([32, 32, 4], (x) => dropout(x, 0.5));
    const x = tf.ones([1, 32, 32, 4]);
    const inference = (m.apply(x, { training: false }) as tf.Tensor).dataSync();
    expect(Array.from(inference).every((v) => v === 1)).toBe(true);
    const train = (m.apply(x, { training: true }) as tf.Tensor).dataSync();
    const zeros = Array.from(train).filter((v) => v === 0).length / train.length;
    expect(zeros).toBeGreaterThan(0.4);
    expect(zeros).toBeLessThan(0.6);
    expect(Array.from(train).every((v) => v === 0 || Math.abs(v - 2) < 1e-6)).toBe(true);
    x.dispose();
  });

  it('a model using every custom layer saves and loads with identical outputs; corrupt files are reported', async () => {
    const m = build([16, 16, 3], (x) => {
      const a = convBnRelu(x, 4);
      const b = atrousConv(a, 4, 2);
      const [p, idx] = maxPoolWithArgmax(b);
      const s = separableConvBnRelu(p, 4, { dilation: 2 });
      const u = maxUnpool(s, idx, b);
      const pooled = resize(adaptiveAvgPool(u, 2), { like: u });
      const up = transposedUpsample(tfl.layers.maxPooling2d({ poolSize: 2 }).apply(pooled) as T, { factor: 2 });
      return centerCrop(tfl.layers.concatenate().apply([up, resize(u, { scale: 1 })]) as T, x);
    }, 1);
    const x = tf.tensor4d(seeded(16 * 16 * 3, 5), [1, 16, 16, 3]);
    const before = (m.predict(x) as tf.Tensor).dataSync();
    const where = path.join(dir, 'model');
    await m.save(fileSystem(where));
    const loaded = await tfl.loadLayersModel(fileSystem(where));
    const after = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(after)).toEqual(Array.from(before));
    writeFileSync(path.join(where, 'weights.bin'), Buffer.alloc(10));
    await expect(tfl.loadLayersModel(fileSystem(where))).rejects.toThrow(/weights\.bin holds 10 bytes .* corrupt/);
    await expect(tfl.loadLayersModel(fileSystem(path.join(dir, 'missing')))).rejects.toThrow(/model\.json does not exist/);
    x.dispose();
  });
});
