/**
 * What a segmentation model takes from its backbone: the features each stage
 * hands on, shallow to deep, by the backbone's own names, each with its
 * output stride (input pixels per feature pixel). A head asks for a tap by
 * name (PSPNet's layer3) or for the stage at a stride (FCN's skips at 16 and
 * 8, which are pool4 / pool3 on VGG16 and layer3 / layer2 on ResNet).
 */
import type { tfl } from '../engine/tf.js';

type T = tfl.SymbolicTensor;

export interface Tap {
  name: string;
  /** Input pixels per feature pixel (dilated stages keep their input's). */
  stride: number;
  tensor: T;
}

export interface Encoder {
  /** The backbone: 'vgg16', 'resnet50', 'resnet101', or a model's own. */
  backbone: string;
  /** The stage outputs, shallow to deep. */
  taps: readonly Tap[];
}

/** The tap called `name`. */
export function tap(encoder: Encoder, name: string): T {
  const found = encoder.taps.find((t) => t.name === name);
  if (!found) throw new Error(`${encoder.backbone} has no tap "${name}"; its taps are ${encoder.taps.map((t) => t.name).join(', ')}.`);
  return found.tensor;
}

/** The deepest features: what a head reads. */
export function deepest(encoder: Encoder): T {
  return encoder.taps[encoder.taps.length - 1]!.tensor;
}

/** The deepest stage at output stride `stride` (without dilation, the one stage there). */
export function atStride(encoder: Encoder, stride: number): T {
  const found = encoder.taps.filter((t) => t.stride === stride);
  if (!found.length) throw new Error(`${encoder.backbone} has no features at stride ${stride}; its taps are ${encoder.taps.map((t) => `${t.name} (${t.stride})`).join(', ')}.`);
  return found[found.length - 1]!.tensor;
}
