/**
 * VGG16 (Simonyan & Zisserman 2015, Table 1, configuration D): 13 3x3
 * convolutions in five stages, each stage ending in a 2x2 max-pool. The
 * DeepLab v1 variant (Chen et al. 2015, Sec. 3.1 and Sec. 4.1 LargeFOV)
 * makes pool4 and pool5 3x3 stride-1 max-pools and dilates conv5 by 2, so
 * the output stride is 8.
 */
import type { tfl } from '../engine/tf.js';
import { convBnRelu, convRelu, maxPool } from '../blocks/conv-blocks.js';
import type { Encoder, Tap } from './encoder.js';
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

/** The stride of stage s's pool: 2, but 1 for DeepLab's pool4 and pool5. */
const poolStride = (s: number, o: Vgg16Options) => (o.deeplab && s > 3 ? 1 : 2);

export function vgg16(input: T, o: Vgg16Options = {}): Vgg16Taps {
  const p = o.prefix ?? '';
  const block = o.batchNorm ? convBnRelu : convRelu;
  const taps: Partial<Vgg16Taps> = {};
  let x = input;
  VGG16_STAGES.forEach((stage, i) => {
    const s = i + 1;
    const dilation = o.deeplab && s === 5 ? 2 : 1;
    for (let j = 1; j <= stage.convs; j++) {
      x = block(x, scaled(stage.channels, o.width), { kernel: 3, dilation, name: `${p}conv${s}_${j}` });
    }
    taps[`conv${s}_${stage.convs}` as keyof Vgg16Taps] = x;
    if (o.deeplab) {
      x = maxPool(x, { size: 3, stride: poolStride(s, o), padding: 'same', name: `${p}pool${s}` });
    } else {
      x = maxPool(x, { size: 2, stride: 2, padding: o.poolPadding ?? 'valid', name: `${p}pool${s}` });
    }
    taps[`pool${s}` as keyof Vgg16Taps] = x;
  });
  return taps as Vgg16Taps;
}

/** VGG16 as an encoder (backbones/encoder.ts): each stage's pool, at strides 2 to 32 (DeepLab's: 2, 4, 8, 8, 8). */
export function vgg16Encoder(input: T, o: Vgg16Options = {}): Encoder {
  const features = vgg16(input, o);
  let stride = 1;
  const taps: Tap[] = VGG16_STAGES.map((_, i) => {
    stride *= poolStride(i + 1, o);
    return { name: `pool${i + 1}`, stride, tensor: features[`pool${i + 1}` as keyof Vgg16Taps] };
  });
  return { backbone: 'vgg16', taps };
}
