/**
 * Our layer names against torchvision's tensor names (as timm keeps them):
 * ResNet's `conv1`/`bn1`, `layerN.i.convK`/`bnK`, `layerN.i.downsample.0/1`;
 * VGG16's `features.K` (K counting torchvision's Sequential: conv, ReLU per
 * convolution, one max-pool per stage).
 */
import { VGG16_STAGES } from '../backbones/vgg.js';
import { InputError } from '../errors/input-error.js';
import type { SafetensorsHeader } from '../io/safetensors.js';
import type { ImageNetArch } from './catalog.js';

/** A torchvision convolution and the batch norm after it (none in VGG16). */
export interface TorchConv {
  conv: string;
  bn?: string;
}

/** The torchvision convolution of a ResNet layer of ours (backbones/resnet.ts), or undefined. */
export function resnetTorchName(layer: string): TorchConv | undefined {
  if (layer === 'conv1') return { conv: 'conv1', bn: 'bn1' };
  const m = /^layer(\d)_(\d+)_(conv[123]|downsample)$/.exec(layer);
  if (!m) return undefined;
  const block = `layer${m[1]}.${m[2]}`;
  if (m[3] === 'downsample') return { conv: `${block}.downsample.0`, bn: `${block}.downsample.1` };
  const k = m[3]!.slice(4);
  return { conv: `${block}.conv${k}`, bn: `${block}.bn${k}` };
}

/** `conv<s>_<j>` -> its index in torchvision's vgg16.features. */
const VGG_FEATURES = new Map<string, number>();
{
  let k = 0;
  VGG16_STAGES.forEach((stage, i) => {
    for (let j = 1; j <= stage.convs; j++) {
      VGG_FEATURES.set(`conv${i + 1}_${j}`, k);
      k += 2; // the convolution, then its ReLU
    }
    k += 1; // the stage's max-pool
  });
}

/** The torchvision convolution of a VGG16 layer of ours (backbones/vgg.ts, SegNet's encoder), or undefined. */
export function vggTorchName(layer: string): TorchConv | undefined {
  const k = VGG_FEATURES.get(layer);
  return k === undefined ? undefined : { conv: `features.${k}` };
}

/**
 * VGG16's fully connected layers under either naming: timm's (fc6 as a 7x7
 * convolution, fc7 as 1x1, head.fc) or torchvision's classifier.0/3/6.
 */
export const VGG_CLASSIFIER = {
  fc6: ['pre_logits.fc1', 'classifier.0'],
  fc7: ['pre_logits.fc2', 'classifier.3'],
  fc8: ['head.fc', 'classifier.6'],
} as const;

/** The architecture a file's tensors describe, or one sentence. */
export function archOfHeader(h: SafetensorsHeader, file: string): ImageNetArch {
  const has = (n: string) => h.tensors.has(n);
  if (has('features.0.weight') && has('features.28.weight')) return 'vgg16';
  if (has('layer3.22.conv1.weight') && !has('layer3.23.conv1.weight')) return 'resnet101';
  if (has('layer3.5.conv1.weight') && !has('layer3.6.conv1.weight') && has('layer1.0.conv3.weight')) return 'resnet50';
  throw new InputError(`${file} holds neither VGG16, ResNet-50 nor ResNet-101 in torchvision's names (its first tensors: ${[...h.tensors.keys()].slice(0, 3).join(', ')}).`);
}

