/** What both ResNet layouts (resnet.ts, resnet-caffe.ts) take and return. */
import type { tfl } from '../engine/tf.js';

type T = tfl.SymbolicTensor;

export const RESNET_BLOCKS = { 50: [3, 4, 6, 3], 101: [3, 4, 23, 3] } as const;

export interface ResNetOptions {
  depth: 50 | 101;
  width?: number;
  /** torchvision's replace_stride_with_dilation for layer2, layer3, layer4. */
  replaceStrideWithDilation?: [boolean, boolean, boolean];
  /** Unit rates for layer4's blocks, multiplied by its dilation (DeepLab v3: [1, 2, 4]). */
  multiGrid?: number[];
  prefix?: string;
  /**
   * 'torchvision' (default; stride on the 3x3, no conv biases) or 'caffe':
   * He et al.'s release as Keras ships it, the layout of our ImageNet
   * weights (backbones/resnet-caffe.ts; no prefix, Caffe's layer names).
   */
  layout?: ResNetLayout;
  /** Batch norm in inference mode while training (frozen statistics); caffe layout only. */
  frozenBatchNorm?: boolean;
}

export type ResNetLayout = 'torchvision' | 'caffe';

export type ResNetTaps = Record<'stem' | 'pool' | 'layer1' | 'layer2' | 'layer3' | 'layer4', T>;
