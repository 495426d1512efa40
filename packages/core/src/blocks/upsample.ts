/** Bilinear filters for transposed convolutions (Long et al. 2015, Sec. 3.3). */
import { tf, tfl } from '../engine/tf.js';

/** The k x k bilinear interpolation kernel (Caffe's / FCN's upsample_filt). */
export function bilinearKernel(k: number): Float32Array {
  const factor = Math.floor((k + 1) / 2);
  const center = k % 2 === 1 ? factor - 1 : factor - 0.5;
  const out = new Float32Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) out[i * k + j] = (1 - Math.abs(i - center) / factor) * (1 - Math.abs(j - center) / factor);
  return out;
}

/**
 * Weights [k, k, C, C] (tfjs conv2dTranspose layout [h, w, out, in]) that
 * upsample each channel on its own: bilinear on the diagonal, zero elsewhere.
 */
export function bilinearTransposeWeights(k: number, channels: number, support = k): tf.Tensor4D {
  // A support smaller than k sits centred in a zero k x k kernel: the same interpolation, with room to learn.
  const kernel = bilinearKernel(support);
  const off = (k - support) / 2;
  if (!Number.isInteger(off) || off < 0) throw new Error(`bilinearTransposeWeights: a ${support}-wide kernel cannot be centred in ${k}.`);
  const w = new Float32Array(k * k * channels * channels);
  for (let i = 0; i < support; i++)
    for (let j = 0; j < support; j++) {
      const p = (i + off) * k + (j + off);
      for (let c = 0; c < channels; c++) w[(p * channels + c) * channels + c] = kernel[i * support + j]!;
    }
  return tf.tensor4d(w, [k, k, channels, channels]);
}

export interface TransposedUpsampleOptions {
  factor: number;
  /** Kernel size, 2 * factor unless given; a larger kernel starts as the same bilinear interpolation. */
  kernel?: number;
  /** Learned (FCN's x2 layers) or fixed to bilinear (FCN's final upsampling). */
  trainable?: boolean;
  useBias?: boolean;
  name?: string;
}

/**
 * A transposed convolution, kernel 2*factor, stride factor, initialised to
 * bilinear interpolation. 'same' padding makes the output exactly factor x
 * the input.
 */
export function transposedUpsample(x: tfl.SymbolicTensor, opts: TransposedUpsampleOptions): tfl.SymbolicTensor {
  const channels = x.shape[x.shape.length - 1] as number;
  const k = opts.kernel ?? 2 * opts.factor;
  const layer = tfl.layers.conv2dTranspose({
    filters: channels,
    kernelSize: k,
    strides: opts.factor,
    padding: 'same',
    useBias: opts.useBias ?? false,
    trainable: opts.trainable ?? true,
    name: opts.name,
  });
  const y = layer.apply(x) as tfl.SymbolicTensor;
  const weights = [bilinearTransposeWeights(k, channels, 2 * opts.factor)];
  if (opts.useBias) weights.push(tf.zeros([channels]) as never);
  layer.setWeights(weights);
  for (const w of weights) w.dispose();
  return y;
}
