/**
 * Soft Dice loss (Milletari et al. 2016, eq. 1, on softmax probabilities):
 * 1 - mean over classes of (2 sum p g + eps) / (sum p + sum g + eps),
 * ignored pixels excluded.
 */
import { tf } from '../engine/tf.js';

export function softDiceLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, o: { ignoreIndex?: number; eps?: number } = {}): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[3];
    const eps = o.eps ?? 1;
    const lab = tf.cast(labels, 'int32');
    const valid = tf.expandDims(tf.cast(tf.logicalAnd(tf.notEqual(lab, o.ignoreIndex ?? 255), tf.less(lab, classes)), 'float32'), -1);
    const p = tf.mul(tf.softmax(logits), valid);
    const g = tf.mul(tf.oneHot(tf.where(tf.less(lab, classes), lab, tf.zerosLike(lab)), classes), valid);
    const inter = tf.sum(tf.mul(p, g), [0, 1, 2]);
    const denom = tf.add(tf.sum(p, [0, 1, 2]), tf.sum(g, [0, 1, 2]));
    const dice = tf.div(tf.add(tf.mul(inter, 2), eps), tf.add(denom, eps));
    return tf.sub(1, tf.mean(dice)) as tf.Scalar;
  });
}
