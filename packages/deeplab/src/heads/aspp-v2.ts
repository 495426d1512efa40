/**
 * DeepLab v1/v2 heads (Chen et al. 2017, Sec. 3.2 and Fig. 4): parallel
 * atrous branches whose class scores are summed. On VGG16 each branch is
 * fc6 (3x3, rate r, 1024) -> fc7 (1x1, 1024) -> fc8 (1x1, classes), with
 * ReLU and dropout 0.5 after fc6 and fc7; LargeFOV is the single rate-12
 * branch (DeepLab v1, Sec. 4.1). On ResNet-101 each branch is one 3x3
 * atrous conv to the classes (the released ASPP-L).
 */
import { atrousConv, conv, convRelu, dropout, scaled, tfl } from '@seg/core';

type T = tfl.SymbolicTensor;

/** v2 Table 3's heads by their rates. */
export const V2_RATES = { largefov: [12], 'aspp-s': [2, 4, 8, 12], 'aspp-l': [6, 12, 18, 24] } as const;

export interface AsppV2Options {
  rates: readonly number[];
  classes: number;
  /** 'vgg': fc6-fc7-fc8 per branch; 'conv': one 3x3 conv per branch. */
  branch: 'vgg' | 'conv';
  width?: number;
}

/** One branch of the pyramid: the scores at one sampling rate. */
function asppBranch(x: T, rate: number, i: number, o: AsppV2Options): T {
  const name = o.rates.length === 1 ? '' : `aspp${i}_`;
  if (o.branch === 'conv') return atrousConv(x, o.classes, rate, { name: `${name || 'aspp0_'}conv` });
  let y = convRelu(x, scaled(1024, o.width), { kernel: 3, dilation: rate, name: `${name}fc6` });
  y = dropout(y, 0.5, { name: `${name}drop6` });
  y = convRelu(y, scaled(1024, o.width), { kernel: 1, name: `${name}fc7` });
  y = dropout(y, 0.5, { name: `${name}drop7` });
  return conv(y, o.classes, { kernel: 1, name: `${name}fc8` });
}

export function asppV2(x: T, o: AsppV2Options): T {
  const branches = o.rates.map((r, i) => asppBranch(x, r, i, o));
  return branches.length === 1 ? branches[0]! : (tfl.layers.add({ name: 'aspp_sum' }).apply(branches) as T);
}
