/**
 * Gradient of FusedBatchNorm with broadcasting products and one reduction
 * per parameter. tfjs-core's version tiles mean, variance and scale to the
 * full activation shape first; tfjs's wasm Tile is a slow scalar loop, and
 * that tiling was the largest cost of a training step here.
 */
import { tf } from './tf.js';

/** Sums t over the axes along which `shape` was broadcast to t's shape. */
function reduceTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, t.shape);
  return tf.reshape(axes.length ? tf.sum(t, axes) : t, shape);
}

export const batchNormGrad: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
    const g = dy as tf.Tensor;
    const inv = tf.rsqrt(tf.add(variance, eps));
    const gain = scale ? tf.mul(inv, scale) : inv;
    const paramShape = scale ? scale.shape : mean.shape;
    return {
      x: () => tf.mul(g, gain),
      mean: () => reduceTo(tf.neg(tf.mul(g, gain)), mean.shape),
      variance: () => reduceTo(tf.mul(tf.mul(g, tf.sub(x, mean)), tf.mul(gain, tf.mul(-0.5, tf.square(inv)))), variance.shape),
      scale: () => reduceTo(tf.mul(g, tf.mul(tf.sub(x, mean), inv)), paramShape),
      offset: () => reduceTo(g, paramShape),
    };
  },
};
