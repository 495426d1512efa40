/**
 * MaxPoolGrad for the wasm backend. tfjs's wasm kernel sends the gradient of
 * an all-negative window to its first element instead of its maximum (the
 * forward max-pool is right); this composition routes each window's
 * gradient to its first maximum in row-major order, as the cpu backend and
 * PyTorch do.
 */
import { tf } from './tf.js';
import { padOrCrop4d, zeroInsert } from './padding.js';
import { tapReadyInput, tapSliceNHWC, type Conv2DInfo } from './conv-grad.js';

export function maxPoolBackprop(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const xp = tapReadyInput(x, info, -Infinity);
    const [, hp, wp] = xp.shape;
    let claimed = tf.cast(tf.zerosLike(y), 'bool');
    let dx: tf.Tensor4D | undefined;
    for (let a = 0; a < info.filterHeight; a++) {
      for (let b = 0; b < info.filterWidth; b++) {
        const hit = tf.logicalAnd(tf.equal(tapSliceNHWC(xp, a, b, info), y), tf.logicalNot(claimed));
        claimed = tf.logicalOr(claimed, hit);
        // Back to the padded input grid: output (i, j) read (i*s + a, j*s + b).
        const spread = zeroInsert(tf.where(hit, dy, tf.zerosLike(dy)) as tf.Tensor4D, info.strideHeight, info.strideWidth);
        const placed = padOrCrop4d(spread, a, hp - a - spread.shape[1], b, wp - b - spread.shape[2]);
        dx = dx ? (tf.add(dx, placed) as tf.Tensor4D) : placed;
      }
    }
    const { top, left } = info.padInfo;
    return padOrCrop4d(dx!, -top, info.inHeight + top - hp, -left, info.inWidth + left - wp);
  });
}
