/**
 * Deep supervision: the main loss plus weighted auxiliary losses
 * (PSPNet, Zhao et al. 2017, Sec. 3.3: weight 0.4 on the layer3 head).
 */
import { tf } from '../engine/tf.js';

export function withAuxiliary(main: tf.Scalar, auxiliary: { loss: tf.Scalar; weight: number }[]): tf.Scalar {
  if (auxiliary.length === 0) return main;
  return tf.tidy(() => auxiliary.reduce((total, a) => tf.add(total, tf.mul(a.loss, a.weight)) as tf.Scalar, main));
}
