/**
 * DeepLab v3+'s decoder (Chen et al. 2018, Sec. 3.1 and Fig. 2): the
 * low-level features (ResNet layer1, stride 4) reduced to 48 channels by a
 * 1x1 conv-bn-relu, the ASPP output upsampled bilinearly to their size,
 * concatenated, then two 3x3 conv-bn-relu of 256 (separable if asked).
 */
import { convBnRelu, resize, scaled, separableConvBnRelu, tfl } from '@seg/core';

type T = tfl.SymbolicTensor;

export function decoderV3plus(aspp: T, lowLevel: T, o: { separable: boolean; width?: number }): T {
  const low = convBnRelu(lowLevel, scaled(48, o.width), { kernel: 1, name: 'decoder_reduce' });
  const up = resize(aspp, { like: lowLevel, name: 'decoder_up' });
  let y = tfl.layers.concatenate({ name: 'decoder_concat' }).apply([up, low]) as T;
  const c = scaled(256, o.width);
  for (let i = 1; i <= 2; i++) {
    const opts = { kernel: 3, name: `decoder_conv${i}` };
    y = o.separable ? separableConvBnRelu(y, c, opts) : convBnRelu(y, c, opts);
  }
  return y;
}
