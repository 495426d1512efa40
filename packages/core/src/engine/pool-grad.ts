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
  const { top, left, bottom, right } = info.padInfo;
  const tiled = info.filterHeight === info.strideHeight && info.filterWidth === info.strideWidth && !(top || left || bottom || right);
  return tiled ? tiledMaxPoolBackprop(dy, x, info) : overlappingMaxPoolBackprop(dy, x, y, info);
}

/**
 * Non-overlapping windows (k == stride, no padding: U-Net's, VGG's and
 * SegNet's 2x2 pools): each window as a vector, one-hot of its argmax times dy.
 */
function tiledMaxPoolBackprop(dy: tf.Tensor4D, x: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, height, width, c] = x.shape;
    const [h, w, kh, kw] = [info.outHeight, info.outWidth, info.filterHeight, info.filterWidth];
    const used = h * kh === height && w * kw === width ? x : tf.slice(x, [0, 0, 0, 0], [n, h * kh, w * kw, c]);
    const windows = tf.reshape(tf.transpose(tf.reshape(used, [n, h, kh, w, kw, c]), [0, 1, 3, 5, 2, 4]), [n, h, w, c, kh * kw]);
    // argMax takes the first maximum, as the cpu backend's MaxPoolGrad does.
    const routed = tf.mul(tf.oneHot(tf.argMax(windows, -1), kh * kw), tf.expandDims(dy, 4));
    const back = tf.reshape(tf.transpose(tf.reshape(routed, [n, h, w, c, kh, kw]), [0, 1, 4, 2, 5, 3]), [n, h * kh, w * kw, c]);
    return padOrCrop4d(back as tf.Tensor4D, 0, height - h * kh, 0, width - w * kw);
  });
}

/** Any window and padding: per tap, route dy where the tap holds the window's first maximum. */
function overlappingMaxPoolBackprop(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
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
        // (spread carries s - 1 trailing zero rows/cols; padOrCrop trims them if they overhang)
        const placed = padOrCrop4d(spread, a, hp - a - spread.shape[1], b, wp - b - spread.shape[2]);
        dx = dx ? (tf.add(dx, placed) as tf.Tensor4D) : placed;
      }
    }
    const { top, left } = info.padInfo;
    return padOrCrop4d(dx!, -top, info.inHeight + top - hp, -left, info.inWidth + left - wp);
  });
}
