/**
 * DeepLab as one builder over its options: backbone, head, output stride,
 * multi-grid, decoder, separable convolutions, and torchvision's auxiliary
 * FCN head. The four zoo names in zoo.ts are settings of it.
 */
import { conv, deepest, dropout, fcnHead, resolveBackboneStart, segmentationModel, tap, tfl, type BackboneOptions, type BackboneStartOptions, type Encoder } from '@seg/core';
import { asppV2, V2_RATES } from './heads/aspp-v2.js';
import { asppV3 } from './heads/aspp-v3.js';
import { decoderV3plus } from './heads/decoder.js';

type T = tfl.SymbolicTensor;

export type Backbone = 'vgg16' | 'resnet50' | 'resnet101';
/** largefov / aspp-s / aspp-l: DeepLab v1/v2 heads (summed class scores); aspp-v3: DeepLab v3's ASPP. */
export type Head = 'largefov' | 'aspp-s' | 'aspp-l' | 'aspp-v3';

export interface DeepLabOptions extends BackboneStartOptions {
  backbone?: Backbone;
  head?: Head;
  /** 8 or 16 for ResNet backbones; VGG16's DeepLab variant is 8. */
  outputStride?: 8 | 16;
  /** Unit rates for ResNet's layer4 (DeepLab v3: [1, 2, 4]). */
  multiGrid?: number[];
  /** aspp-v3 only: the image-pooling branch. */
  imagePooling?: boolean;
  /** DeepLab v3+ decoder on ResNet layer1. */
  decoder?: boolean;
  /** Depthwise-separable 3x3 convolutions in ASPP (v3) and decoder. */
  separable?: boolean;
  /**
   * torchvision's auxiliary FCN head on ResNet's layer3 (training only; its
   * output is `aux_upsample`, torchvision weighs its loss 0.5). Not in the papers.
   */
  auxiliary?: boolean;
  classes?: number;
  /** Width multiplier for the backbone and the head. */
  width?: number;
  /** Input [height, width]; null for any size. */
  size?: [number | null, number | null];
  channels?: number;
  seed?: number;
}

/** The options with every default filled in (what results.json records). */
export function resolveOptions(o: DeepLabOptions = {}): Required<Omit<DeepLabOptions, 'multiGrid'>> & { multiGrid: number[] | null } {
  const backbone = o.backbone ?? 'resnet50';
  const head = o.head ?? (backbone === 'vgg16' ? 'largefov' : 'aspp-v3');
  const outputStride = o.outputStride ?? (backbone === 'vgg16' || head !== 'aspp-v3' ? 8 : 16);
  if (backbone === 'vgg16' && outputStride !== 8) throw new Error('DeepLab on VGG16 has output stride 8 (pool4/pool5 at stride 1, Chen et al. 2015); outputStride 16 is not defined for it.');
  if (outputStride !== 8 && outputStride !== 16) throw new Error(`outputStride must be 8 or 16 (got ${outputStride}).`);
  if (o.decoder && backbone === 'vgg16') throw new Error('The v3+ decoder needs a ResNet backbone (its low-level features are layer1).');
  if (o.decoder && head !== 'aspp-v3') throw new Error('The v3+ decoder follows the v3 ASPP (head "aspp-v3").');
  if (o.auxiliary && backbone === 'vgg16') throw new Error('The auxiliary FCN head reads ResNet\'s layer3; VGG16 has no such stage.');
  const start = resolveBackboneStart(backbone, o);
  if (start.backboneLayout === 'caffe' && backbone === 'vgg16') throw new Error('backboneLayout is an option of the ResNet backbones.');
  return {
    backbone,
    head,
    outputStride,
    multiGrid: o.multiGrid ?? null,
    imagePooling: o.imagePooling ?? true,
    decoder: o.decoder ?? false,
    separable: o.separable ?? false,
    auxiliary: o.auxiliary ?? false,
    classes: o.classes ?? 21,
    width: o.width ?? 1,
    size: o.size ?? [null, null],
    channels: o.channels ?? 3,
    seed: o.seed ?? 0,
    ...start,
    loadWeights: o.loadWeights ?? true,
  };
}

export function deeplab(options: DeepLabOptions = {}): tfl.LayersModel {
  const o = resolveOptions(options);
  // The scores are resized bilinearly to the input (x8, x16, or x4 after the decoder).
  return segmentationModel({
    name: `deeplab-${o.backbone}-${o.head}${o.decoder ? '-decoder' : ''}`,
    size: o.size,
    channels: o.channels,
    seed: o.seed,
    backbone: backboneOptions(o),
    head: (encoder) => (o.head === 'aspp-v3' ? v3Scores(encoder, o) : asppV2(deepest(encoder), { rates: V2_RATES[o.head], classes: o.classes, branch: o.backbone === 'vgg16' ? 'vgg' : 'conv', width: o.width })),
    // torchvision's auxiliary head (core's heads/fcn-head.ts): 3x3 to 256 channels on layer3, dropout, 1x1.
    auxiliary: o.auxiliary ? [{ output: AUX_OUTPUT, head: (encoder) => fcnHead(tap(encoder, 'layer3'), { classes: o.classes, prefix: 'aux_' }) }] : [],
    ...(o.backbone === 'vgg16' ? { imagenetHead: vggHeadStart(o.head) } : {}),
  });
}

/** v1 Sec. 4.1, v2 Sec. 4: each branch's fc6/fc7 from VGG16's, decimated to 3x3 and 1,024 channels (core's weights/load-torchvision.ts). */
function vggHeadStart(head: Head): Record<string, 'fc6' | 'fc7'> {
  const rates = head === 'aspp-v3' ? [] : V2_RATES[head];
  const prefixes = rates.length === 1 ? [''] : rates.map((_, i) => `aspp${i}_`);
  return Object.fromEntries(prefixes.flatMap((p) => [[`${p}fc6`, 'fc6'], [`${p}fc7`, 'fc7']]));
}

/** The auxiliary head's output name (TrainConfig.auxiliaryLosses key). */
export const AUX_OUTPUT = 'aux_upsample';

type Resolved = ReturnType<typeof resolveOptions>;

function backboneOptions(o: Resolved): BackboneOptions {
  // DeepLab v1 Sec. 3.1: pool4/pool5 at stride 1, conv5 at rate 2 -> output stride 8.
  if (o.backbone === 'vgg16') return { name: 'vgg16', deeplab: true, width: o.width, pretrained: o.pretrained, loadWeights: o.loadWeights };
  // v2 Sec. 3.1, v3 Sec. 3.1-3.2: the last stages' strides replaced by rates; v3's multi-grid on layer4.
  return {
    name: o.backbone,
    width: o.width,
    outputStride: o.outputStride,
    ...(o.multiGrid ? { multiGrid: o.multiGrid } : {}),
    pretrained: o.pretrained,
    backboneLayout: o.backboneLayout,
    frozenBatchNorm: o.frozenBatchNorm,
    loadWeights: o.loadWeights,
  };
}

/** DeepLab v3's ASPP on layer4, then v3+'s decoder on layer1 (or dropout), then the 1x1 classifier. */
function v3Scores(encoder: Encoder, o: Resolved): T {
  // v3 Sec. 3.3: rates (6, 12, 18) at output stride 16, doubled at 8.
  const rates = [6, 12, 18].map((r) => (r * 16) / o.outputStride);
  let y = asppV3(tap(encoder, 'layer4'), { rates, imagePooling: o.imagePooling, separable: o.separable, width: o.width });
  // v3+ Sec. 3.1: the decoder refines with layer1's stride-4 features.
  if (o.decoder) y = decoderV3plus(y, tap(encoder, 'layer1'), { separable: o.separable, width: o.width });
  else y = dropout(y, 0.1, { name: 'head_dropout' });
  return conv(y, o.classes, { kernel: 1, name: 'classifier' });
}

/**
 * The same weights at another output stride (v3 Table 6: train at 16,
 * evaluate at 8): rebuilds the graph with the new dilations and rates and
 * copies every weight by layer name.
 */
export function withOutputStride(model: tfl.LayersModel, options: DeepLabOptions, outputStride: 8 | 16): tfl.LayersModel {
  // The weights come from `model`: no second ImageNet load (the start's layout, input transform and frozen statistics stay).
  const rebuilt = deeplab({ ...options, outputStride, loadWeights: false });
  for (const layer of rebuilt.layers) {
    const weights = model.getLayer(layer.name).getWeights();
    if (weights.length) layer.setWeights(weights);
  }
  return rebuilt;
}
