/**
 * Fast paths (engine/fast-paths.ts): an op runs the kernel an engine
 * registered for the active backend, composes tfjs ops where there is none,
 * and on the engine under test the two agree.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf, useBackend } from '../src/index.js';
import { FastPath } from '../src/engine/fast-paths.js';
import { reluGrad } from '../src/engine/relu-grad.js';
import { batchNormTrain, batchNormTrainGrad } from '../src/engine/batchnorm-train.js';
import { engineName, relErr, seeded } from './helpers.js';

const TOL = 1e-4;

describe('fast paths', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it("an op runs the active backend's registered kernel, and composes tfjs ops where there is none", async () => {
    const before = tf.getBackend();
    await useBackend('cpu');
    const dy = tf.tensor1d([1, 2, 3]);
    const x = tf.tensor1d([-1, 0, 2]);
    try {
      expect(tf.getKernel(FastPath.ReluGrad, 'cpu')).toBeUndefined();
      expect(Array.from(reluGrad(dy, x).dataSync())).toEqual([0, 0, 3]);
      tf.registerKernel({ kernelName: FastPath.ReluGrad, backendName: 'cpu', kernelFunc: ({ inputs }) => tf.mul(inputs.dy as tf.Tensor, 10) as unknown as tf.TensorInfo });
      expect(Array.from(reluGrad(dy, x).dataSync())).toEqual([10, 20, 30]);
    } finally {
      tf.unregisterKernel(FastPath.ReluGrad, 'cpu');
      tf.dispose([dy, x]);
      await tf.setBackend(before);
    }
  });

  it('conv-bn\'s ReLU and batch-norm training ops take the tested engine\'s fast paths, which agree with the composition on cpu', async () => {
    const shape = [2, 5, 4, 3];
    const run = () => {
      const outputs = tf.tidy(() => {
        const z = tf.tensor4d(seeded(2 * 5 * 4 * 3, 1), shape as [number, number, number, number]);
        const gamma = tf.tensor1d([1.2, 0.8, 1.5]);
        const du = tf.tensor4d(seeded(2 * 5 * 4 * 3, 2), shape as [number, number, number, number]);
        const bn = batchNormTrain(z, gamma, tf.tensor1d([0.1, -0.2, 0.3]), 1e-3);
        return [bn.value, bn.mean, bn.variance, ...batchNormTrainGrad(du, z, gamma, 1e-3, bn.saved), reluGrad(du, bn.value)];
      });
      const values = outputs.map((t) => t.dataSync() as Float32Array);
      tf.dispose(outputs);
      return values;
    };
    const engine = engineName();
    const fast = Object.values(FastPath).filter((k) => tf.getKernel(k, engine));
    // tensorflow registers all three (one TensorFlow op each); the others compose
    if (engine === 'tensorflow') expect(fast).toEqual(Object.values(FastPath));
    await useBackend('cpu');
    const expected = run();
    await useBackend(engine);
    const tensors = tf.memory().numTensors;
    let got: Float32Array[] = [];
    const profile = await tf.profile(() => {
      got = run();
    });
    expect(tf.memory().numTensors).toBe(tensors);
    for (const k of fast) expect(profile.kernelNames).toContain(k);
    got.forEach((g, i) => expect(relErr(g, expected[i]!), `output ${i}`).toBeLessThan(TOL));
  });
});
