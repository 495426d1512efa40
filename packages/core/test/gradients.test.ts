/**
 * The gradients seg registers in place of tfjs-core's (ResizeBilinear,
 * FusedBatchNorm) checked against references that do not use them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../src/index.js';
import { onBackend, relErr, seeded, engineName } from './helpers.js';

const TOL = 1e-4;

describe('replacement gradients', () => {
  beforeAll(async () => {
    await initEngine();
  });

  // The gradient of a linear map is its adjoint: <resize(x), r> = <x, resize'(r)>
  // for every x, so the backprop of r is the vector whose i-th entry is <resize(e_i), r>.
  for (const [alignCorners, halfPixel] of [
    [false, true],
    [true, false],
    [false, false],
  ] as const) {
    it(`ResizeBilinear backprop is the adjoint of the forward kernel (alignCorners ${alignCorners}, halfPixelCenters ${halfPixel})`, async () => {
      for (const backend of ['cpu', engineName()] as const) {
        await onBackend(backend, () => {
          const [h, w, c] = [4, 5, 2];
          const [oh, ow] = [7, 3];
          const r = tf.tensor4d(seeded(oh * ow * c, 3), [1, oh, ow, c]);
          const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeBilinear(x as tf.Tensor4D, [oh, ow], alignCorners, halfPixel), r)));
          const got = grad(tf.zeros([1, h, w, c])).dataSync();
          const expected = new Float32Array(h * w * c);
          for (let i = 0; i < expected.length; i++) {
            const e = tf.buffer([1, h, w, c]);
            e.values[i] = 1;
            expected[i] = tf.sum(tf.mul(tf.image.resizeBilinear(e.toTensor() as tf.Tensor4D, [oh, ow], alignCorners, halfPixel), r)).dataSync()[0]!;
          }
          expect(relErr(got, expected)).toBeLessThan(TOL);
        });
      }
    });
  }

  it('batch-norm gradients (through the batch statistics) equal autodiff through primitive ops', async () => {
    const [n, h, w, c] = [2, 5, 3, 4];
    const x0 = seeded(n * h * w * c, 4);
    const g0 = seeded(c, 5).map((v) => v + 1.5);
    const b0 = seeded(c, 6);
    const r0 = seeded(n * h * w * c, 7);
    const grads = (fused: boolean) =>
      tf.tidy(() => {
        const r = tf.tensor4d(r0, [n, h, w, c]);
        const f = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          const y = fused
            ? tf.batchNorm(x, mean, variance, beta, gamma, 1e-3)
            : tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-3))), gamma), beta);
          return tf.sum(tf.mul(y, r));
        };
        const gs = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([tf.tensor4d(x0, [n, h, w, c]), tf.tensor1d(g0), tf.tensor1d(b0)]);
        return gs.map((t) => t.dataSync());
      });
    for (const backend of ['cpu', engineName()] as const) {
      const ref = await onBackend(backend, () => grads(false));
      const got = await onBackend(backend, () => grads(true));
      got.forEach((g, i) => expect(relErr(g, ref[i]!)).toBeLessThan(TOL));
    }
  });
});
