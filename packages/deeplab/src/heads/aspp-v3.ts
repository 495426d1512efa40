/**
 * DeepLab v3's ASPP (Chen et al. 2017b, Sec. 3.3 and Fig. 5): a 1x1
 * conv-bn-relu, three 3x3 atrous conv-bn-relu at rates 6, 12, 18 (doubled at
 * output stride 8), and image pooling (global average pool, 1x1
 * conv-bn-relu, bilinear back), concatenated and projected by a 1x1
 * conv-bn-relu to 256 channels. v3+ (Sec. 3.2) may make the 3x3 branches
 * depthwise-separable.
 */
import { adaptiveAvgPool, convBnRelu, resize, scaled, separableConvBnRelu, tfl } from '@seg/core';

type T = tfl.SymbolicTensor;

export interface AsppV3Options {
  rates: readonly number[];
  imagePooling: boolean;
  separable: boolean;
  width?: number;
}

export function asppV3(x: T, o: AsppV3Options): T {
  const c = scaled(256, o.width);
  const branches: T[] = [convBnRelu(x, c, { kernel: 1, name: 'aspp_conv1x1' })];
  o.rates.forEach((rate, i) => {
    const opts = { kernel: 3, dilation: rate, name: `aspp_atrous${i + 1}` };
    branches.push(o.separable ? separableConvBnRelu(x, c, opts) : convBnRelu(x, c, opts));
  });
  if (o.imagePooling) {
    const pooled = adaptiveAvgPool(x, 1, 'aspp_image_pool');
    const p = convBnRelu(pooled, c, { kernel: 1, name: 'aspp_image_conv' });
    branches.push(resize(p, { like: x, name: 'aspp_image_up' }));
  }
  const cat = tfl.layers.concatenate({ name: 'aspp_concat' }).apply(branches) as T;
  return convBnRelu(cat, c, { kernel: 1, name: 'aspp_project' });
}
