/**
 * SegNet-Basic and the decoder variants of Table 1 (Badrinarayanan et al.
 * 2017, Sec. 4.1; the tutorial's segnet_basic_train.prototxt). One encoder:
 * input LRN (local size 5, alpha 1e-4, beta 0.75), then four encoders of
 * conv 7x7 64 -> BN -> ReLU -> 2x2 max-pool keeping indices (rounding up).
 * The decoders differ in how they upsample and what they keep from the encoder:
 *
 * - segnet: unpool with the indices -> conv 7x7 64 -> BN (no ReLU in the decoder)
 * - single-channel: the same with depthwise 7x7 decoder filters
 * - encoder-addition: segnet, plus the 64 encoder maps added after each decoder
 * - fcn: every encoder map reduced by a 1x1 conv to K = classes; x2 upsampling by
 *   a learned 8x8 deconvolution that starts as bilinear; the reduced map added
 * - fcn-no-addition: fcn without the added encoder maps
 * - fcn-no-dim-reduction: fcn on the 64-channel maps (a 1x1 conv to K at the end)
 * - fcn-no-addition-no-dim-reduction: both
 * - bilinear: single-channel with fixed bilinear x2 upsampling instead of unpooling
 *   (Table 1 gives it the single-channel decoder's 0.625M parameters)
 *
 * Convolutions followed by BN have no bias (the paper; the prototxt has them,
 * and BN makes them redundant); the 1x1 reductions and the classifier do.
 */
import {
  batchNorm,
  centerCrop,
  conv,
  convBn,
  convBnRelu,
  DepthwiseConv2D,
  localResponseNorm,
  maxPoolWithArgmax,
  maxUnpool,
  resize,
  seededBuild,
  tfl,
  transposedUpsample,
} from '@seg/core';

type T = tfl.SymbolicTensor;

export const SEGNET_BASIC_DECODERS = [
  'segnet',
  'single-channel',
  'encoder-addition',
  'fcn',
  'fcn-no-addition',
  'fcn-no-dim-reduction',
  'fcn-no-addition-no-dim-reduction',
  'bilinear',
] as const;
export type SegNetBasicDecoder = (typeof SEGNET_BASIC_DECODERS)[number];

export interface SegNetBasicOptions {
  decoder?: SegNetBasicDecoder;
  classes?: number;
  channels?: number;
  size?: [number | null, number | null];
  /** Feature maps per encoder and decoder (64 in the paper). */
  features?: number;
  seed?: number;
}

export function segnetBasic(o: SegNetBasicOptions = {}): tfl.LayersModel {
  const decoder = o.decoder ?? 'segnet';
  const K = o.classes ?? 11;
  const F = o.features ?? 64;
  return seededBuild(o.seed ?? 0, () => {
    const input = tfl.input({ shape: [...(o.size ?? [360, 480]), o.channels ?? 3], name: 'image' });
    let x = localResponseNorm(input, { size: 5, alpha: 1e-4, beta: 0.75, name: 'norm' });
    // Encoders: the maps before each pool (what FCN-style decoders keep) and the indices (what SegNet keeps).
    const encoders: { map: T; indices: T }[] = [];
    for (let i = 1; i <= 4; i++) {
      const map = convBnRelu(x, F, { kernel: 7, name: `conv${i}` });
      const [pooled, indices] = maxPoolWithArgmax(map, `pool${i}`, { ceil: true });
      encoders.push({ map, indices });
      x = pooled;
    }
    const fcn = decoder.startsWith('fcn');
    const reduce = !decoder.includes('no-dim-reduction');
    const add = decoder === 'encoder-addition' || (fcn && !decoder.includes('no-addition'));
    if (fcn && reduce) x = conv(x, K, { kernel: 1, name: 'score_pool4' });
    for (let i = 4; i >= 1; i--) {
      const { map, indices } = encoders[i - 1]!;
      if (fcn) {
        // x2 by a learned 8x8 deconvolution (starting as bilinear), cropped to the encoder's size.
        x = centerCrop(transposedUpsample(x, { factor: 2, kernel: 8, name: `upscore${i}` }), map, `upscore${i}_crop`);
        if (add) x = tfl.layers.add({ name: `fuse${i}` }).apply([x, reduce ? conv(map, K, { kernel: 1, name: `score_conv${i}` }) : map]) as T;
        continue;
      }
      x = decoder === 'bilinear' ? resize(x, { like: map, name: `upsample${i}` }) : maxUnpool(x, indices, map, `upsample${i}`);
      if (decoder === 'single-channel' || decoder === 'bilinear') {
        x = new DepthwiseConv2D({ kernelSize: 7, padding: 3, name: `conv${i}_D` }).apply(x) as T;
        x = batchNorm(x, `conv${i}_D_bn`);
      } else x = convBn(x, F, { kernel: 7, relu: false, name: `conv${i}_D` });
      if (add) x = tfl.layers.add({ name: `add${i}` }).apply([x, map]) as T;
    }
    const logits = fcn && reduce ? x : conv(x, K, { kernel: 1, name: 'classifier' });
    return tfl.model({ inputs: input, outputs: logits, name: `segnet-basic-${decoder}` });
  });
}
