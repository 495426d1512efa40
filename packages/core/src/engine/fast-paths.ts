/**
 * Kernels an engine may register (tf.registerKernel under its backend name)
 * to run one of seg's composite ops in one pass. The op runs the active
 * backend's kernel where there is one and composes tfjs ops elsewhere, so it
 * never asks which backend is active. Each kernel takes the inputs and
 * attributes and gives the outputs written here.
 */
import { tf } from './tf.js';

export const FastPath = {
  /** relu-grad.ts: dy where x > 0. Inputs dy, x (float32); one output. */
  ReluGrad: 'SegReluGrad',
  /**
   * batchnorm-train.ts: training batch normalisation of an NHWC z over N, H,
   * W. Inputs z, gamma, beta; attribute epsilon. Outputs the value, the batch
   * mean, the biased batch variance, then what the gradient reads (any number).
   */
  BatchNormTrain: 'SegBatchNormTrain',
  /**
   * Its gradient. Inputs du, z, gamma and saved0, saved1, ...: the forward's
   * outputs after the variance; attribute epsilon. Outputs dz, dgamma, dbeta.
   */
  BatchNormTrainGrad: 'SegBatchNormTrainGrad',
} as const;

/** The active backend's kernel for `name`, run; undefined where no engine registered one (the caller composes it). */
export function runFastPath(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor | tf.Tensor[] | undefined {
  if (!tf.getKernel(name, tf.getBackend())) return undefined;
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];
}
