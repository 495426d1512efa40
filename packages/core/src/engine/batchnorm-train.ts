/**
 * Training-mode batch normalisation over N, H, W of an NHWC tensor, and its
 * gradient, as the conv-bn op (layers/conv-bn.ts) needs them: forward gives
 * the normalised, scaled, shifted value and the batch statistics; backward
 * gives d/dz, d/dgamma, d/dbeta from what the forward saved.
 *
 * On tensorflow these are TensorFlow's FusedBatchNormV3 and
 * FusedBatchNormGradV3 (one pass each; composed from tfjs ops they are ~10
 * elementwise kernels, each a full pass over the activation, and were the
 * largest cost of a ResNet training step there). Elsewhere the composition.
 */
import { tf } from './tf.js';
import { activeNodeBackend, floatType, type NodeBackend } from './tensorflow-backend.js';

export interface BatchNormTrainResult {
  /** gamma * (z - mean) / sqrt(var + eps) + beta. */
  value: tf.Tensor4D;
  mean: tf.Tensor1D;
  /** The biased batch variance (what the normalisation divides by). */
  variance: tf.Tensor1D;
  /** What the gradient needs besides z and gamma; opaque to callers. */
  saved: tf.Tensor[];
}

function tfAttrs(b: NodeBackend, epsilon: number) {
  return [
    floatType(b),
    floatType(b, 'U'),
    { name: 'epsilon', type: b.binding.TF_ATTR_FLOAT, value: epsilon },
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.binding.TF_ATTR_BOOL, value: true },
  ];
}

export function batchNormTrain(z: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  const b = activeNodeBackend();
  if (b) {
    const empty = tf.tensor1d([]);
    const attrs = [...tfAttrs(b, epsilon), { name: 'exponential_avg_factor', type: b.binding.TF_ATTR_FLOAT, value: 1 }];
    // Outputs: y, batch mean, batch variance (Bessel-corrected), and the three reserve spaces the gradient reads.
    const [value, mean, unbiased, r1, r2, r3] = b.executeMultipleOutputs('FusedBatchNormV3', attrs, [z, gamma, beta, empty, empty], 6);
    empty.dispose();
    const m = z.shape[0] * z.shape[1] * z.shape[2];
    const variance = tf.mul(unbiased!, (m - 1) / m) as tf.Tensor1D;
    unbiased!.dispose();
    return { value: value as tf.Tensor4D, mean: mean as tf.Tensor1D, variance, saved: [r1!, r2!, r3!] };
  }
  const { mean, variance } = tf.moments(z, [0, 1, 2]);
  const inv = tf.rsqrt(tf.add(variance, epsilon));
  const value = tf.add(tf.mul(tf.mul(tf.sub(z, mean), inv), gamma), beta) as tf.Tensor4D;
  return { value, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, saved: [mean, inv] };
}

/** d/dz, d/dgamma, d/dbeta of batchNormTrain's value, given its upstream gradient du. */
export function batchNormTrainGrad(du: tf.Tensor4D, z: tf.Tensor4D, gamma: tf.Tensor1D, epsilon: number, saved: tf.Tensor[]): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D] {
  const b = activeNodeBackend();
  if (b) {
    const [dz, dgamma, dbeta, r4, r5] = b.executeMultipleOutputs('FusedBatchNormGradV3', tfAttrs(b, epsilon), [du, z, gamma, saved[0]!, saved[1]!, saved[2]!], 5);
    tf.dispose([r4!, r5!]);
    return [dz as tf.Tensor4D, dgamma as tf.Tensor1D, dbeta as tf.Tensor1D];
  }
  const [mean, inv] = saved as [tf.Tensor1D, tf.Tensor1D];
  const zhat = tf.mul(tf.sub(z, mean), inv);
  const m = z.shape[0] * z.shape[1] * z.shape[2];
  const dbeta = tf.sum(du, [0, 1, 2]) as tf.Tensor1D;
  const dgamma = tf.sum(tf.mul(du, zhat), [0, 1, 2]) as tf.Tensor1D;
  // d/dz of the normalisation through the batch mean and variance.
  const dz = tf.mul(tf.mul(gamma, tf.div(inv, m)), tf.sub(tf.sub(tf.mul(du, m), dbeta), tf.mul(zhat, dgamma))) as tf.Tensor4D;
  return [dz, dgamma, dbeta];
}
