/**
 * The ReLU gradient, dy where the ReLU's input (or output) is positive.
 * tfjs-core writes it as dy * step(x); tfjs-node runs Step as five kernels
 * (IsNan, Greater, Fill, Select and a cast), which took a third of a ResNet
 * training step there, so an engine with a one-pass kernel registers it as
 * FastPath.ReluGrad.
 */
import { tf } from './tf.js';
import { FastPath, runFastPath } from './fast-paths.js';

export function reluGrad<T extends tf.Tensor>(dy: T, x: tf.Tensor): T {
  const fast = dy.dtype === 'float32' && x.dtype === 'float32' ? runFastPath(FastPath.ReluGrad, { dy, x }) : undefined;
  return (fast ?? tf.mul(dy, tf.step(x))) as T;
}

/** Replaces tfjs-core's Relu gradient (registered with the others in gradients.ts). */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => reluGrad(dy as tf.Tensor, saved[0]!) }),
};
