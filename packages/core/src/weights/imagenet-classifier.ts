/**
 * torchvision's ImageNet classifiers rebuilt on our backbones, from a
 * safetensors file in torchvision's (or timm's) names: VGG16's features,
 * adaptive average pooling to 7x7, fc6-fc7-fc8; ResNet's layers, global
 * average pooling, fc. A user checks a weights file with it (`seg weights
 * classify`); the tests check the backbones against PyTorch's logits.
 */
import { tf, tfl } from '../engine/tf.js';
import { openSafetensorsSync, readSafetensorsHeaderSync } from '../io/safetensors.js';
import { AdaptiveAvgPool2D } from '../layers/pooling.js';
import { resnetEncoder } from '../backbones/resnet.js';
import { vgg16Encoder } from '../backbones/vgg.js';
import { deepest } from '../backbones/encoder.js';
import { imagenetStartLayers } from '../backbones/pretrained.js';
import { buildOverwriting } from '../layers/seeds.js';
import type { ImageNetArch } from './catalog.js';
import { loadTorchvisionWeights } from './load-torchvision.js';
import { archOfHeader, VGG_CLASSIFIER } from './torchvision-names.js';

export { archOfHeader };

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
  try {
    loadTorchvisionWeights(model, file, { arch });
  } catch (err) {
    model.dispose();
    throw err;
  }
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
