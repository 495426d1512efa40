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
 * place and layer2 (stride 8) pool3's. `pretrained: 'imagenet'` starts VGG16
 * with fc6/fc7 (as the paper did) or ResNet-50 from torchvision's ImageNet
 * weights; 'imagenet-caffe' ResNet-50 from Caffe's (core's backbones/pretrained.ts).
 */
import {
  atStride,
  centerCrop,
  conv,
  convRelu,
  dropout,
  registerOnnxExporter,
  scaled,
  segmentationModel,
  tf,
  tfl,
  transposedUpsample,
  type BackboneStartOptions,
  type Encoder,
} from '@seg/core';

type T = tfl.SymbolicTensor;

export type FcnVariant = '32s' | '16s' | '8s';

export interface FcnOptions extends BackboneStartOptions {
  variant?: FcnVariant;
  /** 'vgg16' (the paper, default) or 'resnet50' (the same skips on ResNet-50's stages). */
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

/** The stride of each variant's prediction. */
const STRIDE: Record<FcnVariant, number> = { '32s': 32, '16s': 16, '8s': 8 };

/** The skips (Fig. 3): the stage at stride 16 (pool4; ResNet's layer3) fused in FCN-16s, then the one at 8 (pool3; layer2) in FCN-8s. */
const SKIPS = [
  { stride: 16, name: 'pool4', upscore: 'upscore2', scale: 0.01 },
  { stride: 8, name: 'pool3', upscore: 'upscore_pool4', scale: 0.0001 },
] as const;

export function fcn(o: FcnOptions = {}): tfl.LayersModel {
  const variant = o.variant ?? '8s';
  const backbone = o.backbone ?? 'vgg16';
  if (backbone !== 'vgg16' && backbone !== 'resnet50') throw new Error(`FCN backbone must be vgg16 or resnet50 (got "${String(backbone)}").`);
  if (backbone === 'resnet50' && o.batchNorm !== undefined) throw new Error('batchNorm is a VGG16 option; ResNet-50 always has batch norm.');
  const classes = o.classes ?? 21;
  const stride = STRIDE[variant];
  const start = { pretrained: o.pretrained, backboneLayout: o.backboneLayout, frozenBatchNorm: o.frozenBatchNorm, loadWeights: o.loadWeights };
  return segmentationModel({
    name: backbone === 'vgg16' ? `fcn${variant}` : `fcn${variant}-${backbone}`,
    size: o.size,
    channels: o.channels,
    seed: o.seed,
    // Pools round up (Caffe's ceil mode), so any input size works.
    backbone: backbone === 'vgg16' ? { name: 'vgg16', width: o.width, batchNorm: o.batchNorm, poolPadding: 'same', ...start } : { name: 'resnet50', width: o.width, ...start },
    head: (encoder) => {
      // FCN-32s: class scores at stride 32.
      let score = scoreFr(encoder, classes, o.width);
      // FCN-16s and FCN-8s: each x2 and fused with the scores of the stage at the finer stride.
      for (const skip of SKIPS.filter((k) => k.stride >= stride)) score = fuse(score, atStride(encoder, skip.stride), skip, classes, o);
      return score;
    },
    // The final upsampling is fixed bilinear, not learned (Sec. 4.2), and cropped to the input.
    // Sec. 3.1: VGG16's fc6 (a 7x7 convolution) and fc7 "convolutionalized", from the classifier's own weights.
    ...(backbone === 'vgg16' ? { imagenetHead: { fc6: 'fc6', fc7: 'fc7' } as const } : {}),
    upsample: (score, input) => centerCrop(transposedUpsample(score, { factor: stride, trainable: false, name: `upscore${stride}` }), input, 'score'),
  });
}

/**
 * Class scores at stride 32 (Sec. 3.1): VGG16's fc6 (a 7x7 convolution) and
 * fc7 (1x1), each ReLU + dropout 0.5, then the 1x1 score layer. ResNet has
 * no fully connected layers to convolutionalise: layer4 is scored directly,
 * as GoogLeNet's last pool is (Sec. 4.1).
 */
function scoreFr(encoder: Encoder, classes: number, width?: number): T {
  let x = atStride(encoder, 32);
  if (encoder.backbone === 'vgg16') {
    x = convRelu(x, scaled(4096, width), { kernel: 7, padding: 'same', name: 'fc6' });
    x = dropout(x, 0.5, { name: 'drop6' });
    x = convRelu(x, scaled(4096, width), { kernel: 1, name: 'fc7' });
  }
  x = dropout(x, 0.5, { name: 'drop7' });
  return conv(x, classes, { kernel: 1, name: 'score_fr' });
}

/**
 * One skip (Sec. 4.2): the coarser scores upsampled x2 (learned, or fixed
 * bilinear) and cropped to the stage's size, plus that stage's 1x1 scores;
 * the at-once net scales the stage before scoring it.
 */
function fuse(score: T, stage: T, skip: (typeof SKIPS)[number], classes: number, o: FcnOptions): T {
  const up = centerCrop(transposedUpsample(score, { factor: 2, trainable: o.learnedUpsampling ?? true, name: skip.upscore }), stage, `${skip.upscore}_crop`);
  const source = o.scaledSkips ? (new Scale({ factor: skip.scale, name: `scale_${skip.name}` }).apply(stage) as T) : stage;
  const scored = conv(source, classes, { kernel: 1, name: `score_${skip.name}` });
  return tfl.layers.add({ name: `fuse_${skip.name}` }).apply([up, scored]) as T;
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
