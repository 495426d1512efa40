/**
 * The two kernels' feature vectors, as densecrf's DenseCRF2D builds them:
 * x is the column and y the row, each divided by its bandwidth.
 */

/** Position features (x/theta, y/theta) for the smoothness (Gaussian) kernel. */
export function positionFeatures(width: number, height: number, theta: number): Float32Array {
  const f = new Float32Array(width * height * 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 2;
      f[p] = x / theta;
      f[p + 1] = y / theta;
    }
  }
  return f;
}

/**
 * Position and colour features (x/theta_alpha, y/theta_alpha, R/theta_beta,
 * G/theta_beta, B/theta_beta) for the appearance (bilateral) kernel. `image`
 * holds 0..255 values, HWC with 3 channels, or 1 (grey, used for R, G and B:
 * the same as converting the image to RGB first).
 */
export function bilateralFeatures(image: ArrayLike<number>, width: number, height: number, channels: 1 | 3, thetaAlpha: number, thetaBeta: number): Float32Array {
  const n = width * height;
  const f = new Float32Array(n * 5);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const p = i * 5;
      f[p] = x / thetaAlpha;
      f[p + 1] = y / thetaAlpha;
      for (let c = 0; c < 3; c++) f[p + 2 + c] = image[channels === 3 ? i * 3 + c : i]! / thetaBeta;
    }
  }
  return f;
}
