/**
 * Gradient of ResizeBilinear as two small matrix products with the 1-D
 * interpolation matrices. tfjs's wasm ResizeBilinearGrad ignores
 * halfPixelCenters (PyTorch's align_corners=False) and returns a transposed
 * shape for non-square outputs; this one is exact on every backend.
 */
import { tf } from './tf.js';

/** [out, in] weights of tfjs's bilinear sampling along one axis (its clamping included). */
export function interpolationMatrix(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Float32Array {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    const lo = Math.max(0, Math.floor(src));
    const hi = Math.min(inSize - 1, Math.ceil(src));
    const frac = src - lo;
    m[o * inSize + lo]! += 1 - frac;
    m[o * inSize + hi]! += frac;
  }
  return m;
}

/** dx [N, H, W, C] from dy [N, OH, OW, C]: contract OH with Ah^T, then OW with Aw^T. */
export function resizeBilinearBackprop(
  dy: tf.Tensor4D,
  inH: number,
  inW: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, oh, ow, c] = dy.shape;
    // Transposed matrices [in, out], so every GEMM is plain A @ B.
    const ahT = tf.transpose(tf.tensor2d(interpolationMatrix(inH, oh, alignCorners, halfPixelCenters), [oh, inH]));
    const awT = tf.transpose(tf.tensor2d(interpolationMatrix(inW, ow, alignCorners, halfPixelCenters), [ow, inW]));
    const byRow = tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [oh, n * ow * c]);
    const rows = tf.reshape(tf.matMul(ahT, byRow), [inH, n, ow, c]);
    const byCol = tf.reshape(tf.transpose(rows, [2, 0, 1, 3]), [ow, inH * n * c]);
    const cols = tf.reshape(tf.matMul(awT, byCol), [inW, inH, n, c]);
    return tf.transpose(cols, [2, 1, 0, 3]) as tf.Tensor4D;
  });
}

export const resizeBilinearGrad: tf.GradConfig = {
  kernelName: tf.ResizeBilinear,
  inputsToSave: ['images'],
  gradFunc: (dy, saved, attrs) => {
    const [images] = saved as [tf.Tensor4D];
    const { alignCorners, halfPixelCenters } = attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
    return {
      images: () => resizeBilinearBackprop(dy as tf.Tensor4D, images.shape[1], images.shape[2], !!alignCorners, !!halfPixelCenters),
    };
  },
};
