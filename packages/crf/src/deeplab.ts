/**
 * One call for the common case: sharpen a softmax output with the dense CRF,
 * with DeepLab v2's parameters as the default (Chen et al. 2017, the
 * released PASCAL VOC setting: bilateral w 4, theta_alpha 67, theta_beta 3;
 * Gaussian w 3, theta_gamma 1; 10 mean-field iterations).
 */
import { DenseCRF, type Compatibility } from './dense-crf.js';

export interface CrfParams {
  iterations: number;
  bilateral: { weight: Compatibility; thetaAlpha: number; thetaBeta: number };
  gaussian: { weight: Compatibility; theta: number };
}

export const DEEPLAB_V2_CRF: CrfParams = {
  iterations: 10,
  bilateral: { weight: 4, thetaAlpha: 67, thetaBeta: 3 },
  gaussian: { weight: 3, theta: 1 },
};

export interface CrfInput {
  width: number;
  height: number;
  /** Softmax probabilities, H x W x labels. */
  probs: ArrayLike<number>;
  labels: number;
  /** The image, H x W x channels (1 or 3) in 0..255. */
  image: ArrayLike<number>;
  channels?: 1 | 3;
}

/** Dense CRF on a probability map: the refined marginals and their argmax. */
export function denseCrf(input: CrfInput, params: Partial<CrfParams> = {}): { Q: Float32Array; labels: Uint8Array | Uint16Array } {
  const p = { ...DEEPLAB_V2_CRF, ...params };
  const crf = new DenseCRF(input.width, input.height, input.labels);
  crf.setUnaryFromProbabilities(input.probs);
  crf.addPairwiseGaussian({ theta: p.gaussian.theta, compat: p.gaussian.weight });
  crf.addPairwiseBilateral({ thetaAlpha: p.bilateral.thetaAlpha, thetaBeta: p.bilateral.thetaBeta, image: input.image, channels: input.channels ?? 3, compat: p.bilateral.weight });
  return crf.inference(p.iterations);
}

/** A softmax output as @seg/core's infer() returns it (H x W x classes probabilities and their argmax). */
export interface SoftmaxPrediction {
  width: number;
  height: number;
  classes: number;
  probs: Float32Array;
  labels: Uint8Array;
}

/**
 * The prediction refined by the dense CRF: the CRF's marginals and MAP
 * labels in place of the softmax and its argmax. `image` is H x W x channels
 * in 0..255 (a unit-float image times 255 works as well).
 */
export function refinePrediction<P extends SoftmaxPrediction>(p: P, image: ArrayLike<number>, channels: 1 | 3, params: Partial<CrfParams> = {}): P {
  const r = denseCrf({ width: p.width, height: p.height, labels: p.classes, probs: p.probs, image, channels }, params);
  return { ...p, probs: r.Q, labels: r.labels instanceof Uint8Array ? r.labels : Uint8Array.from(r.labels) };
}
