/**
 * The backbones a segmentation model chooses by name (FCN's VGG16 or
 * ResNet-50, PSPNet's ResNet-50, DeepLab's three), built as encoders
 * (backbones/encoder.ts) in the layout their start asks for
 * (backbones/pretrained.ts).
 */
import type { tfl } from '../engine/tf.js';
import type { Encoder } from './encoder.js';
import { resolveBackboneStart, type BackboneStartOptions } from './pretrained.js';
import { dilationForOutputStride, resnetEncoder } from './resnet.js';
import { vgg16Encoder, type Vgg16Options } from './vgg.js';
import { ImageNetNormalize } from '../layers/imagenet-input.js';

type T = tfl.SymbolicTensor;

export type BackboneName = 'vgg16' | 'resnet50' | 'resnet101';

/** VGG16 (backbones/vgg.ts). */
export interface Vgg16Backbone extends Omit<Vgg16Options, 'prefix'>, BackboneStartOptions {
  name: 'vgg16';
}

/** ResNet-50/101 (backbones/resnet.ts, backbones/resnet-caffe.ts). */
export interface ResNetBackbone extends BackboneStartOptions {
  name: 'resnet50' | 'resnet101';
  /** Width multiplier on every stage's channels. */
  width?: number;
  /** 32 (the classifier's, default), or 16 / 8 by replacing stride with dilation (DeepLab v2 Sec. 3.1, PSPNet Sec. 3.2). */
  outputStride?: 8 | 16 | 32;
  /** Unit rates for layer4's blocks (DeepLab v3 Sec. 3.2). */
  multiGrid?: number[];
}

export type BackboneOptions = Vgg16Backbone | ResNetBackbone;

/** The backbone's encoder; a start it cannot take (VGG16 from Caffe's weights, a file not fetched) is one sentence. */
export function backboneEncoder(input: T, o: BackboneOptions): Encoder {
  const start = resolveBackboneStart(o.name, o);
  // torchvision's weights take normalised images: the model's first layer does it, so every use of the model agrees.
  if (start.pretrained === 'imagenet') input = new ImageNetNormalize().apply(input) as T;
  if (o.name === 'vgg16') return vgg16Encoder(input, { width: o.width, batchNorm: o.batchNorm, deeplab: o.deeplab, poolPadding: o.poolPadding });
  return resnetEncoder(input, {
    depth: o.name === 'resnet101' ? 101 : 50,
    width: o.width,
    replaceStrideWithDilation: dilationForOutputStride(o.outputStride ?? 32),
    ...(o.multiGrid ? { multiGrid: o.multiGrid } : {}),
    layout: start.backboneLayout,
    frozenBatchNorm: start.frozenBatchNorm,
  });
}
