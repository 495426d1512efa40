/**
 * Pixel-wise softmax cross-entropy with an ignore label and class weights,
 * averaged like PyTorch's nn.CrossEntropyLoss: sum(w_i * loss_i) / sum(w_i)
 * over the pixels that are not ignored, or, with `normalize: 'pixels'`, like
 * Caffe's weighted SoftmaxWithLoss (SegNet): divided by the number of pixels
 * that are not ignored.
 */
import { tf } from '../engine/tf.js';

export interface CrossEntropyOptions {
  /** Label value that contributes nothing (VOC and Cityscapes use 255). */
  ignoreIndex?: number;
  /** One weight per class (e.g. SegNet's median-frequency balancing). */
  classWeights?: number[] | tf.Tensor1D;
  /** Per-pixel weights [N, H, W] (e.g. U-Net's border weight map), multiplied in. */
  pixelWeights?: tf.Tensor3D;
  /** 'weights' (PyTorch, the default) or 'pixels' (Caffe): what the weighted sum is divided by. */
  normalize?: 'weights' | 'pixels';
}

/** logits [N, H, W, C]; labels [N, H, W] (int32 or float holding integers). Returns a scalar. */
export function softmaxCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D, o: CrossEntropyOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[3];
    const ignore = o.ignoreIndex ?? 255;
    const lab = tf.cast(labels, 'int32');
    const valid = tf.logicalAnd(tf.notEqual(lab, ignore), tf.logicalAnd(tf.greaterEqual(lab, 0), tf.less(lab, classes)));
    const safe = tf.where(valid, lab, tf.zerosLike(lab));
    const onehot = tf.oneHot(safe, classes);
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), -1));
    let w = tf.cast(valid, 'float32');
    if (o.classWeights) {
      const cw = Array.isArray(o.classWeights) ? tf.tensor1d(o.classWeights) : o.classWeights;
      w = tf.mul(w, tf.sum(tf.mul(onehot, cw), -1));
    }
    if (o.pixelWeights) w = tf.mul(w, o.pixelWeights);
    const denominator = o.normalize === 'pixels' ? tf.sum(tf.cast(valid, 'float32')) : tf.sum(w);
    return tf.div(tf.sum(tf.mul(nll, w)), tf.maximum(denominator, 1e-12)) as tf.Scalar;
  });
}
