/**
 * The building blocks every architecture composes, as functions over
 * symbolic tensors (tfjs functional API). Names follow the papers.
 */
import { tfl } from '../engine/tf.js';
import { Conv2D, DepthwiseConv2D } from '../layers/conv.js';
import { ConvBn } from '../layers/conv-bn.js';
import { ResizeBilinear } from '../layers/resize.js';
import { CenterCrop } from '../layers/crop.js';
import { SeededDropout } from '../layers/dropout.js';
import { LocalResponseNorm } from '../layers/lrn.js';
import { AdaptiveAvgPool2D, AdaptiveMaxPool2D, MaxPoolWithArgmax, MaxUnpool } from '../layers/pooling.js';

type T = tfl.SymbolicTensor;

export interface ConvOptions {
  kernel?: number;
  stride?: number;
  dilation?: number;
  /** 'same', 'valid', or PyTorch-style symmetric padding in pixels. */
  padding?: 'same' | 'valid' | number;
  name?: string;
  trainable?: boolean;
}

/** PyTorch's padding for a k x k conv at dilation d: keeps the size at stride 1. */
export const torchPad = (k: number, d = 1) => (d * (k - 1)) / 2;

function suffix(name: string | undefined, s: string) {
  return name ? `${name}_${s}` : undefined;
}

/** Layer arguments from block options; PyTorch-style padding unless told otherwise. */
function layerArgs(o: ConvOptions) {
  const k = o.kernel ?? 3;
  const d = o.dilation ?? 1;
  return { kernelSize: k, strides: o.stride ?? 1, dilationRate: d, padding: o.padding ?? torchPad(k, d), name: o.name, trainable: o.trainable };
}

/** Convolution with bias ("conv" in VGG-era nets; also the atrous conv of DeepLab v1/v2). */
export function conv(x: T, filters: number, o: ConvOptions = {}): T {
  return new Conv2D({ ...layerArgs(o), filters, useBias: true }).apply(x) as T;
}

/** Atrous (dilated) convolution with bias (DeepLab v2, Sec. 3.1). */
export function atrousConv(x: T, filters: number, rate: number, o: ConvOptions = {}): T {
  return conv(x, filters, { ...o, dilation: rate });
}

/** Convolution with bias, then ReLU. */
export function convRelu(x: T, filters: number, o: ConvOptions = {}): T {
  return tfl.layers.reLU({ name: suffix(o.name, 'relu') }).apply(conv(x, filters, o)) as T;
}

export function batchNorm(x: T, name?: string, trainable?: boolean): T {
  // momentum 0.9 here is PyTorch's 0.1; epsilon as torchvision.
  return tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5, name, trainable }).apply(x) as T;
}

/** Convolution without bias, then batch normalisation, then (optionally) ReLU, as one op (layers/conv-bn.ts). */
export function convBn(x: T, filters: number, o: ConvOptions & { relu?: boolean } = {}): T {
  return new ConvBn({ ...layerArgs(o), filters, relu: o.relu ?? true }).apply(x) as T;
}

export const convBnRelu = (x: T, filters: number, o: ConvOptions = {}) => convBn(x, filters, { ...o, relu: true });

/**
 * Depthwise-separable convolution as DeepLab v3+ uses it (Sec. 3.2):
 * depthwise 3x3 (atrous) -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU.
 */
export function separableConvBnRelu(x: T, filters: number, o: ConvOptions = {}): T {
  let y = new DepthwiseConv2D({ ...layerArgs(o), name: suffix(o.name, 'depthwise') }).apply(x) as T;
  y = batchNorm(y, suffix(o.name, 'depthwise_bn'));
  y = tfl.layers.reLU({ name: suffix(o.name, 'depthwise_relu') }).apply(y) as T;
  return convBnRelu(y, filters, { kernel: 1, name: suffix(o.name, 'pointwise') });
}

export function maxPool(x: T, o: { size?: number; stride?: number; padding?: 'same' | 'valid'; name?: string } = {}): T {
  const size = o.size ?? 2;
  return tfl.layers.maxPooling2d({ poolSize: size, strides: o.stride ?? size, padding: o.padding ?? 'valid', name: o.name }).apply(x) as T;
}

/** Bilinear resize to a size, by a factor, or to the size of `like`. */
export function resize(x: T, o: { size?: [number, number]; scale?: number; like?: T; alignCorners?: boolean; name?: string }): T {
  const layer = new ResizeBilinear({ size: o.size, scale: o.scale, alignCorners: o.alignCorners, name: o.name });
  return layer.apply(o.like ? [x, o.like] : x) as T;
}

export function centerCrop(x: T, like: T, name?: string): T {
  return new CenterCrop({ name }).apply([x, like]) as T;
}

/** 2x2 max-pooling that keeps the argmax indices; `ceil` rounds odd sizes up (Caffe, SegNet). */
export function maxPoolWithArgmax(x: T, name?: string, o: { ceil?: boolean } = {}): [T, T] {
  return new MaxPoolWithArgmax({ name, ceil: o.ceil }).apply(x) as [T, T];
}

/** Local response normalisation across channels, Caffe's definition (layers/lrn.ts). */
export function localResponseNorm(x: T, o: { size?: number; alpha?: number; beta?: number; k?: number; name?: string } = {}): T {
  return new LocalResponseNorm(o).apply(x) as T;
}

export function maxUnpool(x: T, indices: T, like: T, name?: string): T {
  return new MaxUnpool({ name }).apply([x, indices, like]) as T;
}

export function adaptiveAvgPool(x: T, bins: number, name?: string): T {
  return new AdaptiveAvgPool2D({ bins, name }).apply(x) as T;
}

export function adaptiveMaxPool(x: T, bins: number, name?: string): T {
  return new AdaptiveMaxPool2D({ bins, name }).apply(x) as T;
}

/** Dropout with masks drawn from the trainer's step seed (layers/dropout.ts). */
export function dropout(x: T, rate: number, o: { name?: string } = {}): T {
  return new SeededDropout({ rate, name: o.name }).apply(x) as T;
}
