/**
 * Softmax cross-entropy against hand-computed values, and 20 training steps of
 * a small conv net on wasm: the loss drops and no tensor leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { convBnRelu, conv, initEngine, maxPool, resize, seededBuild, softmaxCrossEntropy, tf, tfl, trainStep, atrousConv } from '../src/index.js';

describe('softmax cross-entropy', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it('matches hand-computed values with ignore index and class weights', () => {
    // two pixels, two classes: logits (0, ln 3) and (ln 3, 0); labels 1 and 1, third pixel ignored
    const logits = tf.tensor4d([0, Math.log(3), Math.log(3), 0, 5, -5], [1, 1, 3, 2]);
    const labels = tf.tensor3d([1, 1, 255], [1, 1, 3], 'int32');
    // p(label) = 3/4 and 1/4 -> losses -ln(3/4), -ln(1/4)
    const plain = softmaxCrossEntropy(logits, labels).dataSync()[0]!;
    expect(plain).toBeCloseTo((-Math.log(3 / 4) - Math.log(1 / 4)) / 2, 5);
    // class weights only reweight by the label's class; both labels are class 1, so the mean is unchanged
    const weighted = softmaxCrossEntropy(logits, labels, { classWeights: [5, 2] }).dataSync()[0]!;
    expect(weighted).toBeCloseTo(plain, 5);
    const mixed = tf.tensor3d([0, 1, 255], [1, 1, 3], 'int32');
    // losses -ln(1/4) (class 0, weight 5) and -ln(1/4) (class 1, weight 2)
    const m = softmaxCrossEntropy(logits, mixed, { classWeights: [5, 2] }).dataSync()[0]!;
    expect(m).toBeCloseTo((5 * -Math.log(1 / 4) + 2 * -Math.log(1 / 4)) / 7, 5);
    const pixel = softmaxCrossEntropy(logits, labels, { pixelWeights: tf.tensor3d([3, 1, 100], [1, 1, 3]) }).dataSync()[0]!;
    expect(pixel).toBeCloseTo((3 * -Math.log(3 / 4) + -Math.log(1 / 4)) / 4, 5);
    tf.dispose([logits, labels, mixed]);
  });
});

describe('training on the engine under test (SEG_BACKEND)', () => {
  it('20 SGD steps: the loss drops and tf.memory().numTensors does not grow', async () => {
    await initEngine();
    const model = seededBuild(1, () => {
      const input = tfl.input({ shape: [32, 32, 3] });
      let x = convBnRelu(input, 8);
      const skip = x;
      x = maxPool(x);
      x = atrousConv(x, 8, 2);
      x = resize(x, { like: skip });
      x = tfl.layers.concatenate().apply([x, skip]) as tfl.SymbolicTensor;
      return tfl.model({ inputs: input, outputs: conv(x, 3, { kernel: 1 }) });
    });
    const optimizer = tf.train.momentum(0.05, 0.9);
    // labels derived from the image: the argmax channel
    const images = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const labels = tf.argMax(images, -1) as tf.Tensor3D;
    const loss = (l: tf.Tensor4D, y: tf.Tensor3D) => softmaxCrossEntropy(l, y);
    const losses = [await trainStep(model, optimizer, images, labels, loss)];
    const tensorsAfterFirst = tf.memory().numTensors;
    for (let i = 1; i < 20; i++) {
      losses.push(await trainStep(model, optimizer, images, labels, loss));
      expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[19]!).toBeLessThan(0.75 * losses[0]!);
  });
});
