/**
 * The FCN head (torchvision's FCNHead; PSPNet's classifier, Zhao et al.
 * 2017 Sec. 3.3): a 3x3 conv-bn-relu, dropout 0.1, and a 1x1 convolution to
 * the classes. On a middle stage (ResNet's layer3) it is the auxiliary head
 * of PSPNet and of torchvision's DeepLab v3, trained only
 * (models/auxiliary.ts).
 */
import type { tfl } from '../engine/tf.js';
import { conv, convBnRelu, dropout } from '../blocks/conv-blocks.js';

type T = tfl.SymbolicTensor;

export interface FcnHeadOptions {
  classes: number;
  /** Channels of the 3x3 convolution; torchvision's in_channels / 4 by default (256 on layer3). */
  channels?: number;
  /** Its layers are `${prefix}conv`, `${prefix}dropout`, `${prefix}classifier` (PSPNet's `head_` and `aux_`). */
  prefix: string;
}

export function fcnHead(x: T, o: FcnHeadOptions): T {
  const channels = o.channels ?? Math.floor(x.shape[x.shape.length - 1]! / 4);
  const y = convBnRelu(x, channels, { kernel: 3, name: `${o.prefix}conv` });
  return conv(dropout(y, 0.1, { name: `${o.prefix}dropout` }), o.classes, { kernel: 1, name: `${o.prefix}classifier` });
}
