/** Padding to a model's size multiple: the fill is 0 in the model's normalised input (mmsegmentation's), the logits are cropped back. */
import { beforeAll, describe, expect, it } from 'vitest';
import { CaffeImageNetInput, conv, CAFFE_BGR_MEAN, infer, initEngine, padFill, seededBuild, syntheticSample, tf, tfl } from '../src/index.js';
import { relErr } from './helpers.js';

/**
 * A same-padded 3x3 conv on the Caffe ImageNet transform: border pixels see
 * the padding. Seed 2 gives weights under which the fill visibly changes the
 * border's probabilities (under some seeds the softmax saturates there).
 */
function imagenetNet() {
  return seededBuild(2, () => {
    const input = tfl.input({ shape: [null, null, 3] });
    const x = new CaffeImageNetInput().apply(input) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: conv(x, 2, { kernel: 3 }) });
  });
}

function plainNet() {
  return seededBuild(2, () => {
    const input = tfl.input({ shape: [null, null, 3] });
    return tfl.model({ inputs: input, outputs: conv(input, 2, { kernel: 3 }) });
  });
}

/** Softmax of the model on `image` padded at the bottom and right to ph x pw with `fill`, cropped to h x w. */
function paddedByHand(model: tfl.LayersModel, image: Float32Array, h: number, w: number, ph: number, pw: number, fill: number[]) {
  return tf.tidy(() => {
    const x = tf.tensor4d(image, [1, h, w, 3]);
    const pads: [number, number][] = [[0, 0], [0, ph - h], [0, pw - w], [0, 0]];
    // the image where it is, `fill` where the padding is (a mask of 1s outside the image, times the fill)
    const placed = tf.add(tf.pad(x, pads), tf.mul(tf.pad(tf.zerosLike(x), pads, 1), tf.tensor1d(fill)));
    const logits = tf.slice(model.predict(placed) as tf.Tensor4D, [0, 0, 0, 0], [1, h, w, 2]);
    return tf.softmax(logits).dataSync();
  });
}

describe('padding to a size multiple', () => {
  beforeAll(async () => {
    await initEngine();
  });
  const sample = syntheticSample(0, { count: 1, height: 10, width: 13, seed: 3 });

  it('pads a model with the ImageNet transform with the ImageNet mean (0 after its transform), and a plain model with 0', async () => {
    const mean = [...CAFFE_BGR_MEAN].reverse().map((m) => m / 255);
    const net = imagenetNet();
    expect(padFill(net, 3)).toEqual(mean);
    const p = await infer(net, sample, { sizeMultiple: 8 });
    expect([p.height, p.width]).toEqual([10, 13]);
    expect(relErr(p.probs, paddedByHand(net, sample.image, 10, 13, 16, 16, mean))).toBeLessThan(1e-5);
    // the fill matters: zeros (black, far from the mean after the transform) give other border probabilities
    expect(relErr(p.probs, paddedByHand(net, sample.image, 10, 13, 16, 16, [0, 0, 0]))).toBeGreaterThan(1e-3);

    const plain = plainNet();
    expect(padFill(plain, 3)).toEqual([0, 0, 0]);
    const q = await infer(plain, sample, { sizeMultiple: 8 });
    expect(relErr(q.probs, paddedByHand(plain, sample.image, 10, 13, 16, 16, [0, 0, 0]))).toBeLessThan(1e-5);
  });

  it('leaves sizes that are already a multiple, and a multiple of 1, untouched and no tensors behind', async () => {
    const net = plainNet();
    const even = syntheticSample(0, { count: 1, height: 16, width: 8, seed: 3 });
    const direct = await infer(net, even);
    expect(relErr((await infer(net, even, { sizeMultiple: 8 })).probs, direct.probs)).toBe(0);
    expect(relErr((await infer(net, sample, { sizeMultiple: 1 })).probs, (await infer(net, sample)).probs)).toBe(0);
    const before = tf.memory().numTensors;
    await infer(net, sample, { sizeMultiple: 8, mode: 'slide', window: [8, 8], stride: [4, 4] });
    await infer(net, sample, { sizeMultiple: 8, scales: [0.75, 1], flip: true });
    expect(tf.memory().numTensors).toBe(before);
  });
});
