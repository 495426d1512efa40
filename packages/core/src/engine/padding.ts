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
 * Inserts (s - 1) zeros after every pixel: the input of a strided transposed
 * convolution. The output is H * sh by W * sw; its last (s - 1) rows and
 * columns are zeros that callers fold into their padding (a slice here
 * would cost a copy: tfjs's wasm Slice runs in JavaScript).
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
  return tf.reshape(spread, [n, h * sh, w * sw, c]) as tf.Tensor4D;
}

/**
 * Reverses the two spatial axes of a [KH, KW, A, B] filter. A permutation
 * matrix product: tfjs's wasm Reverse is a scalar loop, 10x slower here.
 */
export function flipSpatial(w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, a, b] = w.shape;
    const taps = kh * kw;
    const anti = new Float32Array(taps * taps);
    for (let i = 0; i < taps; i++) anti[i * taps + (taps - 1 - i)] = 1;
    const flat = tf.reshape(w, [taps, a * b]) as tf.Tensor2D;
    return tf.reshape(tf.matMul(tf.tensor2d(anti, [taps, taps]), flat), [kh, kw, a, b]) as tf.Tensor4D;
  });
}
