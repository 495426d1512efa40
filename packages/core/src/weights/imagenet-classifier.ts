/**
 * torchvision's ImageNet classifiers rebuilt on our backbones, from a
 * safetensors file in torchvision's (or timm's) names: VGG16's features,
 * adaptive average pooling to 7x7, fc6-fc7-fc8; ResNet's layers, global
 * average pooling, fc. A user checks a weights file with it (`seg weights
 * classify`); the tests check the backbones against PyTorch's logits.
 */
import { tf, tfl } from '../engine/tf.js';
import { InputError } from '../errors/input-error.js';
import { openSafetensorsSync, readSafetensorsHeaderSync, type SafetensorsHeader } from '../io/safetensors.js';
import { AdaptiveAvgPool2D } from '../layers/pooling.js';
import { resnetEncoder } from '../backbones/resnet.js';
import { vgg16Encoder } from '../backbones/vgg.js';
import { deepest } from '../backbones/encoder.js';
import { imagenetStartLayers } from '../backbones/pretrained.js';
import { buildOverwriting } from '../layers/seeds.js';
import type { ImageNetArch } from './catalog.js';
import { loadTorchvisionWeights } from './load-torchvision.js';
import { VGG_CLASSIFIER } from './torchvision-names.js';

/** The architecture a file's tensors describe, or one sentence. */
export function archOfHeader(h: SafetensorsHeader, file: string): ImageNetArch {
  const has = (n: string) => h.tensors.has(n);
  if (has('features.0.weight') && has('features.28.weight')) return 'vgg16';
  if (has('layer3.22.conv1.weight') && !has('layer3.23.conv1.weight')) return 'resnet101';
  if (has('layer3.5.conv1.weight') && !has('layer3.6.conv1.weight') && has('layer1.0.conv3.weight')) return 'resnet50';
  throw new InputError(`${file} holds neither VGG16, ResNet-50 nor ResNet-101 in torchvision's names (its first tensors: ${[...h.tensors.keys()].slice(0, 3).join(', ')}).`);
}

export const archOfFile = (file: string) => archOfHeader(readSafetensorsHeaderSync(file), file);

export interface ImageNetClassifier {
  arch: ImageNetArch;
  /** Class scores [N, 1000] for images [N, H, W, 3], already normalised as torchvision's ImageNet transforms do. */
  logits(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** The backbone of `arch` as a model (input any size), its deepest tap the output. */
function backboneModel(arch: ImageNetArch): tfl.LayersModel {
  // Every layer is about to take the file's weights: none draws random ones first.
  return buildOverwriting(imagenetStartLayers(arch, 'imagenet'), () => {
    const input = tfl.input({ shape: [null, null, 3], name: 'image' });
    const encoder = arch === 'vgg16' ? vgg16Encoder(input) : resnetEncoder(input, { depth: arch === 'resnet101' ? 101 : 50 });
    return tfl.model({ inputs: input, outputs: deepest(encoder), name: arch });
  });
}

/** The fully connected layers, kept in PyTorch's [out, in] layout for a transposed matMul. */
function linear(file: string, names: string[]): { w: tf.Tensor2D; b: tf.Tensor1D }[] {
  const f = openSafetensorsSync(file);
  try {
    return names.map((n) => {
      const shape = f.shape(`${n}.weight`);
      const w = tf.tensor2d(f.read(`${n}.weight`), [shape[0]!, shape.slice(1).reduce((a, b) => a * b, 1)]);
      return { w, b: tf.tensor1d(f.read(`${n}.bias`)) };
    });
  } finally {
    f.close();
  }
}

export function imagenetClassifier(file: string): ImageNetClassifier {
  const header = readSafetensorsHeaderSync(file);
  const arch = archOfHeader(header, file);
  const model = backboneModel(arch);
  loadTorchvisionWeights(model, file, { arch });
  const fcNames = arch === 'vgg16' ? Object.values(VGG_CLASSIFIER).map((names) => names.find((n) => header.tensors.has(`${n}.weight`)) ?? names[0]) : ['fc'];
  const fc = linear(file, fcNames);
  const pool = new AdaptiveAvgPool2D({ bins: 7 });
  return {
    arch,
    logits: (images) =>
      tf.tidy(() => {
        const features = model.predict(images) as tf.Tensor4D;
        // VGG: adaptive pooling to 7x7, flattened channel-first as PyTorch does; ResNet: the global mean.
        let x: tf.Tensor2D =
          arch === 'vgg16'
            ? tf.reshape(tf.transpose(pool.apply(features) as tf.Tensor4D, [0, 3, 1, 2]), [images.shape[0], -1]) as tf.Tensor2D
            : tf.mean(features, [1, 2]);
        fc.forEach((l, i) => {
          x = tf.add(tf.matMul(x, l.w, false, true), l.b);
          if (i < fc.length - 1) x = tf.relu(x);
        });
        return x;
      }),
    dispose: () => {
      model.dispose();
      fc.forEach((l) => (l.w.dispose(), l.b.dispose()));
    },
  };
}
