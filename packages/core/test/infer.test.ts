/** Inference modes agree with direct inference where they must. */
import { beforeAll, describe, expect, it } from 'vitest';
import { conv, convRelu, infer, inferBatch, initEngine, OnnxNetwork, seededBuild, syntheticSample, tf, tfl, evaluate, syntheticDataset, type InferOptions } from '../src/index.js';
import { relErr } from './helpers.js';

function sameNet() {
  return seededBuild(1, () => {
    const input = tfl.input({ shape: [null, null, 3] });
    return tfl.model({ inputs: input, outputs: conv(convRelu(input, 4), 3, { kernel: 1 }) });
  });
}

/** Two valid 3x3 convs: output is the input minus 2 pixels on every side. */
function validNet() {
  return seededBuild(3, () => {
    const input = tfl.input({ shape: [null, null, 3] });
    const x = convRelu(input, 4, { padding: 'valid' });
    return tfl.model({ inputs: input, outputs: conv(x, 3, { padding: 'valid' }) });
  });
}

describe('inference', () => {
  beforeAll(async () => {
    await initEngine();
  });
  const sample = syntheticSample(0, { count: 1, height: 40, width: 36, seed: 2 });

  it('a sliding window that covers the image equals whole-image inference', async () => {
    const m = sameNet();
    const a = await infer(m, sample);
    const b = await infer(m, sample, { mode: 'slide', window: [40, 36], stride: [20, 20] });
    expect(relErr(b.probs, a.probs)).toBeLessThan(1e-6);
    // with real overlap the interior (away from window borders' zero padding effects) stays close
    const c = await infer(m, sample, { mode: 'slide', window: [24, 24], stride: [16, 12] });
    expect([c.height, c.width, c.classes]).toEqual([40, 36, 3]);
  });

  it('overlap-tile with one tile equals direct inference on the mirror-padded image, for any size', async () => {
    const m = validNet();
    // one tile: input 44x40 -> output 40x36 covers the 40x36 image
    const tiled = await infer(m, sample, { mode: 'tile', tile: [44, 40] });
    const direct = tf.tidy(() => {
      const x = tf.tensor4d(sample.image, [1, 40, 36, 3]);
      const padded = tf.mirrorPad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], 'reflect');
      return tf.softmax(m.predict(padded) as tf.Tensor).dataSync();
    });
    expect(relErr(tiled.probs, direct)).toBeLessThan(1e-6);
    // several tiles, odd image size: output is exactly the image size
    const odd = syntheticSample(1, { count: 2, height: 37, width: 29, seed: 2 });
    const many = await infer(m, odd, { mode: 'tile', tile: [14, 14] });
    expect([many.height, many.width]).toEqual([37, 29]);
  });

  it('multi-scale [1] without flip equals whole inference; flip averages a mirrored pass', async () => {
    const m = sameNet();
    const a = await infer(m, sample);
    expect(relErr((await infer(m, sample, { scales: [1] })).probs, a.probs)).toBeLessThan(1e-6);
    const f = await infer(m, sample, { scales: [0.75, 1, 1.25], flip: true });
    expect(f.labels.length).toBe(40 * 36);
    const sums = Array.from({ length: 40 * 36 }, (_, i) => f.probs[i * 3]! + f.probs[i * 3 + 1]! + f.probs[i * 3 + 2]!);
    expect(Math.max(...sums.map((s) => Math.abs(s - 1)))).toBeLessThan(1e-5);
  });

  it('evaluate reports the metrics and names a class-count mismatch', async () => {
    const m = sameNet();
    const r = await evaluate(m, syntheticDataset({ count: 2, height: 16, width: 16, classes: 3, seed: 1 }));
    expect(r.images).toBe(2);
    expect(r.per_class.map((c) => c.name)).toEqual(['background', 'shape1', 'shape2']);
    expect(r.pixel_acc).toBeGreaterThanOrEqual(0);
    await expect(evaluate(m, syntheticDataset({ count: 1, height: 8, width: 8, classes: 4 }))).rejects.toThrow(
      'The model predicts 3 classes but dataset synthetic has 4.',
    );
  });

  it('evaluation in batches gives the per-image predictions and metrics of evaluation one by one', async () => {
    const m = sameNet();
    // 7 images: batches of 3, 3 and 1.
    const data = syntheticDataset({ count: 7, height: 20, width: 24, classes: 3, seed: 4 });
    const one: Uint8Array[] = [];
    const three: Uint8Array[] = [];
    const a = await evaluate(m, data, { onPrediction: (p) => void one.push(p.labels) });
    const before = tf.memory().numTensors;
    const b = await evaluate(m, data, { batchSize: 3, onPrediction: (p) => void three.push(p.labels) });
    expect(tf.memory().numTensors).toBe(before);
    expect(three).toEqual(one);
    expect(b.miou).toBeCloseTo(a.miou, 6);
    expect(b.pixel_acc).toBeCloseTo(a.pixel_acc, 6);
    const p1 = await infer(m, await data.get(5));
    const [, p5] = await inferBatch(m, [await data.get(4), await data.get(5)]);
    expect(relErr(p5!.probs, p1.probs)).toBeLessThan(1e-5);
  });

  it('leaves no tensors behind in any mode', async () => {
    const same = sameNet();
    const valid = validNet();
    await infer(same, sample);
    const before = tf.memory().numTensors;
    await infer(same, sample, { scales: [0.75, 1], flip: true });
    await infer(same, sample, { mode: 'slide', window: [24, 24], stride: [16, 12], flip: true });
    await infer(valid, sample, { mode: 'tile', tile: [14, 14] });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the onnx engine (the exported graph in onnxruntime) gives the tfjs probabilities in every mode', async () => {
    const same = sameNet();
    const valid = validNet();
    const cases: [tfl.LayersModel, InferOptions][] = [
      [same, {}],
      [same, { mode: 'slide', window: [24, 24], stride: [16, 12], flip: true }],
      [valid, { mode: 'tile', tile: [14, 14] }],
    ];
    for (const [m, o] of cases) {
      const net = new OnnxNetwork(m);
      const a = await infer(m, sample, o);
      const b = await infer(net, sample, o);
      await net.dispose();
      expect(relErr(b.probs, a.probs)).toBeLessThan(1e-5);
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    }
  });
});
