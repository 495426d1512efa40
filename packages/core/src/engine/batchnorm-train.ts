/**
 * Training-mode batch normalisation over N, H, W of an NHWC tensor, and its
 * gradient, as the conv-bn op (layers/conv-bn.ts) needs them: forward gives
 * the normalised, scaled, shifted value and the batch statistics; backward
 * gives d/dz, d/dgamma, d/dbeta from what the forward saved.
 *
 * Composed from tfjs ops these are ~10 elementwise kernels, each a full pass
 * over the activation (the largest cost of a ResNet training step on
 * tensorflow), so an engine with fused kernels registers them as
 * FastPath.BatchNormTrain and FastPath.BatchNormTrainGrad.
 */
import { tf } from './tf.js';
import { FastPath, runFastPath } from './fast-paths.js';

export interface BatchNormTrainResult {
  /** gamma * (z - mean) / sqrt(var + eps) + beta. */
  value: tf.Tensor4D;
  mean: tf.Tensor1D;
  /** The biased batch variance (what the normalisation divides by). */
  variance: tf.Tensor1D;
  /** What the gradient needs besides z and gamma; opaque to callers. */
  saved: tf.Tensor[];
}

export function batchNormTrain(z: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  const fast = runFastPath(FastPath.BatchNormTrain, { z, gamma, beta }, { epsilon }) as tf.Tensor[] | undefined;
  if (fast) {
    const [value, mean, variance, ...saved] = fast;
    return { value: value as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, saved };
  }
  const { mean, variance } = tf.moments(z, [0, 1, 2]);
  const inv = tf.rsqrt(tf.add(variance, epsilon));
  const value = tf.add(tf.mul(tf.mul(tf.sub(z, mean), inv), gamma), beta) as tf.Tensor4D;
  return { value, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, saved: [mean, inv] };
}

/** d/dz, d/dgamma, d/dbeta of batchNormTrain's value, given its upstream gradient du. */
export function batchNormTrainGrad(du: tf.Tensor4D, z: tf.Tensor4D, gamma: tf.Tensor1D, epsilon: number, saved: tf.Tensor[]): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D] {
  const inputs: tf.NamedTensorMap = { du, z, gamma };
  saved.forEach((t, i) => (inputs[`saved${i}`] = t));
  const fast = runFastPath(FastPath.BatchNormTrainGrad, inputs, { epsilon });
  if (fast) return fast as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
  const [mean, inv] = saved as [tf.Tensor1D, tf.Tensor1D];
  const zhat = tf.mul(tf.sub(z, mean), inv);
  const m = z.shape[0] * z.shape[1] * z.shape[2];
  const dbeta = tf.sum(du, [0, 1, 2]) as tf.Tensor1D;
  const dgamma = tf.sum(tf.mul(du, zhat), [0, 1, 2]) as tf.Tensor1D;
  // d/dz of the normalisation through the batch mean and variance.
  const dz = tf.mul(tf.mul(gamma, tf.div(inv, m)), tf.sub(tf.sub(tf.mul(du, m), dbeta), tf.mul(zhat, dgamma))) as tf.Tensor4D;
  return [dz, dgamma, dbeta];
}
