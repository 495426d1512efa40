/**
 * VGG16 (Simonyan & Zisserman 2015, Table 1, configuration D): 13 3x3
 * convolutions in five stages, each stage ending in a 2x2 max-pool. The
 * DeepLab v1 variant (Chen et al. 2015, Sec. 3.1 and Sec. 4.1 LargeFOV)
 * makes pool4 and pool5 3x3 stride-1 max-pools and dilates conv5 by 2, so
 * the output stride is 8.
 */
import type { tfl } from '../engine/tf.js';
import { convBnRelu, convRelu, maxPool } from '../blocks/conv-blocks.js';
import { scaled } from './width.js';

type T = tfl.SymbolicTensor;

export interface Vgg16Options {
  /** Width multiplier on every stage's channels (1 = the paper). */
  width?: number;
  /** conv-bn-relu instead of conv-relu (VGG16-BN). */
  batchNorm?: boolean;
  /** DeepLab v1: pools 1-3 3x3 stride 2, pool4/pool5 3x3 stride 1, conv5 dilation 2. */
  deeplab?: boolean;
  /** 'same' pools round sizes up (Caffe's ceil mode); 'valid' (default) floors like PyTorch. */
  poolPadding?: 'same' | 'valid';
  seed?: number;
  /** Prefix for layer names, so two backbones can live in one model. */
  prefix?: string;
}

export type Vgg16Taps = Record<
  'conv1_2' | 'pool1' | 'conv2_2' | 'pool2' | 'conv3_3' | 'pool3' | 'conv4_3' | 'pool4' | 'conv5_3' | 'pool5',
  T
>;

export const VGG16_STAGES: { channels: number; convs: number }[] = [
  { channels: 64, convs: 2 },
  { channels: 128, convs: 2 },
  { channels: 256, convs: 3 },
  { channels: 512, convs: 3 },
  { channels: 512, convs: 3 },
];

export function vgg16(input: T, o: Vgg16Options = {}): Vgg16Taps {
  const p = o.prefix ?? '';
  const block = o.batchNorm ? convBnRelu : convRelu;
  const taps: Partial<Vgg16Taps> = {};
  let x = input;
  let seed = o.seed ?? 0;
  VGG16_STAGES.forEach((stage, i) => {
    const s = i + 1;
    const dilation = o.deeplab && s === 5 ? 2 : 1;
    for (let j = 1; j <= stage.convs; j++) {
      x = block(x, scaled(stage.channels, o.width), { kernel: 3, dilation, name: `${p}conv${s}_${j}`, seed: seed++ });
    }
    taps[`conv${s}_${stage.convs}` as keyof Vgg16Taps] = x;
    if (o.deeplab) {
      x = maxPool(x, { size: 3, stride: s <= 3 ? 2 : 1, padding: 'same', name: `${p}pool${s}` });
    } else {
      x = maxPool(x, { size: 2, stride: 2, padding: o.poolPadding ?? 'valid', name: `${p}pool${s}` });
    }
    taps[`pool${s}` as keyof Vgg16Taps] = x;
  });
  return taps as Vgg16Taps;
}
