import { tf } from './tf.js';

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of
 * an NHWC tensor. Gradient formulas need both: a transposed convolution's
 * "full" padding can be negative when the forward padding was large.
 */
export function padOrCrop4d(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
  value = 0,
): tf.Tensor4D {
  let y = x;
  const cropT = Math.max(0, -top);
  const cropB = Math.max(0, -bottom);
  const cropL = Math.max(0, -left);
  const cropR = Math.max(0, -right);
  if (cropT || cropB || cropL || cropR) {
    const [n, h, w, c] = y.shape;
    y = tf.slice(y, [0, cropT, cropL, 0], [n, h - cropT - cropB, w - cropL - cropR, c]);
  }
  const padT = Math.max(0, top);
  const padB = Math.max(0, bottom);
  const padL = Math.max(0, left);
  const padR = Math.max(0, right);
  if (padT || padB || padL || padR) {
    y = tf.pad(y, [
      [0, 0],
      [padT, padB],
      [padL, padR],
      [0, 0],
    ], value);
  }
  return y;
}

/**
 * Inserts (s - 1) zeros between neighbouring pixels: the input of a strided
 * transposed convolution. Output size is (H - 1) * sh + 1 by (W - 1) * sw + 1.
 */
export function zeroInsert(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const up = tf.reshape(spread, [n, h * sh, w * sw, c]) as tf.Tensor4D;
  return tf.slice(up, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}
