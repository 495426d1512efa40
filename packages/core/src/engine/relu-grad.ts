/**
 * The ReLU gradient, dy where the ReLU's input (or output) is positive.
 * tfjs-core writes it as dy * step(x); tfjs-node runs Step as five kernels
 * (IsNan, Greater, Fill, Select and a cast), which took a third of a ResNet
 * training step there. TensorFlow's ReluGrad is one pass.
 */
import { tf } from './tf.js';

interface NodeBackend {
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.TensorInfo[]): tf.Tensor;
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
}

export function reluGrad<T extends tf.Tensor>(dy: T, x: tf.Tensor): T {
  if (tf.getBackend() === 'tensorflow' && dy.dtype === 'float32' && x.dtype === 'float32') {
    const b = tf.backend() as unknown as NodeBackend;
    return b.executeSingleOutput('ReluGrad', [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }], [dy, x]) as T;
  }
  return tf.mul(dy, tf.step(x)) as T;
}

/** Replaces tfjs-core's Relu gradient (registered with the others in gradients.ts). */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => reluGrad(dy as tf.Tensor, saved[0]!) }),
};
