/**
 * The ReLU gradient, dy where the ReLU's input (or output) is positive.
 * tfjs-core writes it as dy * step(x); tfjs-node runs Step as five kernels
 * (IsNan, Greater, Fill, Select and a cast), which took a third of a ResNet
 * training step there. TensorFlow's ReluGrad is one pass.
 */
import { tf } from './tf.js';
import { activeNodeBackend, floatType } from './tensorflow-backend.js';

export function reluGrad<T extends tf.Tensor>(dy: T, x: tf.Tensor): T {
  const b = activeNodeBackend();
  if (b && dy.dtype === 'float32' && x.dtype === 'float32') return b.executeSingleOutput('ReluGrad', [floatType(b)], [dy, x]) as T;
  return tf.mul(dy, tf.step(x)) as T;
}

/** Replaces tfjs-core's Relu gradient (registered with the others in gradients.ts). */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => reluGrad(dy as tf.Tensor, saved[0]!) }),
};
