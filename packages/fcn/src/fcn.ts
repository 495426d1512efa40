/**
 * FCN (Long, Shelhamer & Darrell, "Fully Convolutional Networks for Semantic
 * Segmentation", CVPR 2015), Fig. 3: VGG16 with fc6/fc7 as convolutions,
 * class scores at stride 32 (FCN-32s), fused with pool4's scores at stride 16
 * (FCN-16s) and pool3's at stride 8 (FCN-8s). The x2 upsamplings are learned
 * transposed convolutions initialised to bilinear; the final one is fixed
 * bilinear (Sec. 4.2). Pools round up (Caffe's ceil mode) so any input size
 * works; the output is cropped to the input.
 *
 * `backbone: 'resnet50'` applies the same recipe to ResNet-50 (Sec. 3.1:
 * any classification net, decapitated, its classifier replaced by a 1x1
 * score layer; the paper did so for AlexNet, VGG16 and GoogLeNet): layer4
 * (stride 32) is scored as pool5's fc7 is, layer3 (stride 16) takes pool4's
 * place and layer2 (stride 8) pool3's. It is the one backbone with ImageNet
 * weights here (`pretrained: 'imagenet'`, core's backbones/pretrained.ts).
 */
import {
  centerCrop,
  conv,
  convRelu,
  dropout,
  loadImageNetWeights,
  registerOnnxExporter,
  resnet,
  resolveBackboneStart,
  scaled,
  seededBuild,
  tf,
  tfl,
  transposedUpsample,
  vgg16,
  type BackboneStartOptions,
} from '@seg/core';

type T = tfl.SymbolicTensor;

export type FcnVariant = '32s' | '16s' | '8s';

export interface FcnOptions extends BackboneStartOptions {
  variant?: FcnVariant;
  /** 'vgg16' (the paper, default) or 'resnet50' (the same skips on ResNet-50's stages; the one with ImageNet weights). */
  backbone?: 'vgg16' | 'resnet50';
  classes?: number;
  /** Width multiplier for VGG16 and fc6/fc7. */
  width?: number;
  /** VGG16 with batch normalisation (conv-bn-relu); VGG16 only. */
  batchNorm?: boolean;
  /** Learned x2 upsamplings (the paper) or fixed bilinear ones. */
  learnedUpsampling?: boolean;
  /**
   * All-at-once training (the reference implementation's FCN-8s-at-once):
   * pool4 and pool3 are scaled by 0.01 and 0.0001 before their score layers.
   */
  scaledSkips?: boolean;
  size?: [number | null, number | null];
  channels?: number;
  seed?: number;
}

/** Multiplies by a constant (the at-once net's skip scaling); no weights. */
class Scale extends tfl.layers.Layer {
  static className = 'FcnScale';
  readonly factor: number;
  constructor(args: { factor: number; name?: string }) {
    super({ name: args.name });
    this.factor = args.factor;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.mul(x, this.factor);
  }
  override getConfig() {
    return { ...super.getConfig(), factor: this.factor };
  }
}
tf.serialization.registerClass(Scale);
registerOnnxExporter('FcnScale', (x) => {
  const factor = (x.layer as unknown as { factor: number }).factor;
  return x.g.node('Mul', [x.inputs[0]!, x.g.floats(`${x.layer.name}_factor`, Float32Array.of(factor), [])], x.layer.name);
});

export function fcn(o: FcnOptions = {}): tfl.LayersModel {
  // Every random initializer draws from one seed (core's layers/seeds.ts): the same seed builds the same net.
  return seededBuild(o.seed ?? 0, () => {
    const variant = o.variant ?? '8s';
    const classes = o.classes ?? 21;
    const learned = o.learnedUpsampling ?? true;
    const seed = o.seed ?? 0;
    const input = tfl.input({ shape: [...(o.size ?? [null, null]), o.channels ?? 3], name: 'image' });
    const backbone = o.backbone ?? 'vgg16';
    let taps: { pool3: T; pool4: T };
    let score: T;
    if (backbone === 'resnet50') {
      if (o.batchNorm !== undefined) throw new Error('batchNorm is a VGG16 option; ResNet-50 always has batch norm.');
      const start = resolveBackboneStart('resnet50', o);
      const r = resnet(input, { depth: 50, width: o.width, layout: start.backboneLayout, frozenBatchNorm: start.frozenBatchNorm, seed });
      taps = { pool3: r.layer2, pool4: r.layer3 };
      // No fully connected layers to convolutionalise: layer4 is scored directly (as GoogLeNet's last pool is in Sec. 4.1).
      score = conv(dropout(r.layer4, 0.5, { name: 'drop7' }), classes, { kernel: 1, name: 'score_fr', seed: seed + 102 });
    } else if (backbone === 'vgg16') {
      if (o.pretrained) resolveBackboneStart('vgg16', o);
      const v = vgg16(input, { width: o.width, batchNorm: o.batchNorm, poolPadding: 'same', seed });
      taps = v;
      // fc6 as a 7x7 convolution, fc7 as a 1x1 (Sec. 3.1), each ReLU + dropout 0.5.
      let x = convRelu(v.pool5, scaled(4096, o.width), { kernel: 7, padding: 'same', name: 'fc6', seed: seed + 100 });
      x = dropout(x, 0.5, { name: 'drop6' });
      x = convRelu(x, scaled(4096, o.width), { kernel: 1, name: 'fc7', seed: seed + 101 });
      x = dropout(x, 0.5, { name: 'drop7' });
      score = conv(x, classes, { kernel: 1, name: 'score_fr', seed: seed + 102 });
    } else {
      throw new Error(`FCN backbone must be vgg16 or resnet50 (got "${String(backbone)}").`);
    }
    let stride = 32;
    const skip = (tap: T, name: string, factor: number, s: number): T => {
      const source = o.scaledSkips ? (new Scale({ factor, name: `scale_${name}` }).apply(tap) as T) : tap;
      return conv(source, classes, { kernel: 1, name: `score_${name}`, seed: s });
    };
    if (variant !== '32s') {
      // FCN-16s: upscore2 (x2, learned) + score_pool4.
      const up = centerCrop(transposedUpsample(score, { factor: 2, trainable: learned, name: 'upscore2' }), taps.pool4, 'upscore2_crop');
      score = tfl.layers.add({ name: 'fuse_pool4' }).apply([up, skip(taps.pool4, 'pool4', 0.01, seed + 103)]) as T;
      stride = 16;
    }
    if (variant === '8s') {
      // FCN-8s: upscore_pool4 (x2, learned) + score_pool3.
      const up = centerCrop(transposedUpsample(score, { factor: 2, trainable: learned, name: 'upscore_pool4' }), taps.pool3, 'upscore_pool4_crop');
      score = tfl.layers.add({ name: 'fuse_pool3' }).apply([up, skip(taps.pool3, 'pool3', 0.0001, seed + 104)]) as T;
      stride = 8;
    }
    // The final upsampling is fixed bilinear, not learned (Sec. 4.2).
    const up = transposedUpsample(score, { factor: stride, trainable: false, name: `upscore${stride}` });
    const model = tfl.model({ inputs: input, outputs: centerCrop(up, input, 'score'), name: backbone === 'vgg16' ? `fcn${variant}` : `fcn${variant}-${backbone}` });
    if (backbone === 'resnet50' && o.pretrained) loadImageNetWeights(model);
    return model;
  });
}

/**
 * Staged training (Sec. 4.2): FCN-16s starts from a trained FCN-32s, FCN-8s
 * from a trained FCN-16s. Every layer the coarser net has is copied by name;
 * the new skip score layer starts at zero, so the finer net starts out
 * computing exactly what the coarser one did.
 */
export function initFromCoarser(finer: tfl.LayersModel, coarser: tfl.LayersModel): void {
  for (const layer of finer.layers) {
    let source: tfl.layers.Layer | undefined;
    try {
      source = coarser.getLayer(layer.name);
    } catch {
      source = undefined;
    }
    if (source && layer.getWeights().length) {
      layer.setWeights(source.getWeights());
    } else if (/^score_pool[34]$/.test(layer.name)) {
      layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
    }
  }
}
