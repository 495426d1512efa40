/**
 * PSPNet (Zhao et al., CVPR 2017; Fig. 3): a dilated ResNet (output stride
 * 8), the pyramid pooling module, and a 3x3 conv-bn-relu + dropout + 1x1
 * classifier; in training, an auxiliary FCN head on layer3 (the paper's
 * res4b22, Sec. 3.3). Without bins it is the paper's baseline "ResNet-50
 * based FCN with dilated network" of Tables 1 and 2.
 *
 * Bilinear upsampling uses half-pixel centres (alignCorners false, as
 * mmsegmentation and the rest of this project); Caffe and hszhao/semseg
 * align corners: `alignCorners: true` builds that.
 */
import {
  adaptiveAvgPool,
  adaptiveMaxPool,
  convBnRelu,
  fcnHead,
  resize,
  resolveBackboneStart,
  scaled,
  segmentationModel,
  tap,
  tfl,
  type BackboneStartOptions,
} from '@seg/core';

type T = tfl.SymbolicTensor;

export interface PSPNetOptions extends BackboneStartOptions {
  /** The dilated ResNet (Sec. 4: ResNet-50 in Tables 1-2, ResNet-101 and deeper for the benchmarks). */
  backbone?: 'resnet50' | 'resnet101';
  /** Pyramid levels (bins per side); [] is the FCN baseline without the pyramid (Table 2). */
  bins?: readonly number[];
  /** 'avg' or 'max' pooling in each bin (Table 1's AVE / MAX). */
  pooling?: 'avg' | 'max';
  /**
   * DR (Table 1): a 1x1 conv-bn-relu after each bin to 1/N of the channels
   * (N pyramid levels). Without it the pooled features are upsampled as they are.
   */
  reduction?: boolean;
  /** The auxiliary head on layer3 (training only; its output is `aux_upsample`). */
  auxiliary?: boolean;
  /** 8 (the paper) or 16 (layer3 keeps its stride). */
  outputStride?: 8 | 16;
  classes?: number;
  /** Width multiplier for the backbone and the heads. */
  width?: number;
  /** Input [height, width]; null for any size. */
  size?: [number | null, number | null];
  channels?: number;
  seed?: number;
  /** Bilinear upsampling with aligned corners (Caffe, hszhao/semseg) instead of half-pixel centres. */
  alignCorners?: boolean;
}

export type ResolvedPSPNetOptions = Required<PSPNetOptions>;

/** The paper's default: bins 1, 2, 3, 6, average pooling, DR, output stride 8. */
export function resolveOptions(o: PSPNetOptions = {}): ResolvedPSPNetOptions {
  const bins = o.bins ?? [1, 2, 3, 6];
  if (bins.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`PSPNet bins must be positive integers (got ${bins.join(', ')}).`);
  if (new Set(bins).size !== bins.length) throw new Error(`PSPNet bins must differ (got ${bins.join(', ')}).`);
  const outputStride = o.outputStride ?? 8;
  if (outputStride !== 8 && outputStride !== 16) throw new Error(`outputStride must be 8 or 16 (got ${outputStride}).`);
  return {
    // pretrained, backboneLayout, frozenBatchNorm (core's backbones/pretrained.ts)
    ...resolveBackboneStart(o.backbone ?? 'resnet50', o),
    loadWeights: o.loadWeights ?? true,
    backbone: o.backbone ?? 'resnet50',
    bins,
    pooling: o.pooling ?? 'avg',
    reduction: o.reduction ?? true,
    auxiliary: o.auxiliary ?? false,
    outputStride,
    classes: o.classes ?? 21,
    width: o.width ?? 1,
    size: o.size ?? [null, null],
    channels: o.channels ?? 3,
    seed: o.seed ?? 0,
    alignCorners: o.alignCorners ?? false,
  };
}

/**
 * The pyramid pooling module (Sec. 3.2, Fig. 3c): each level pools the
 * features to bins x bins, reduces them (DR) by a 1x1 conv-bn-relu, and is
 * upsampled back; the levels are concatenated with the features.
 */
export function pyramidPooling(x: T, o: Pick<ResolvedPSPNetOptions, 'bins' | 'pooling' | 'reduction' | 'width' | 'alignCorners'>): T {
  const channels = x.shape[3]!;
  const levels = o.bins.map((bins) => {
    const name = `ppm_bin${bins}`;
    let y = o.pooling === 'max' ? adaptiveMaxPool(x, bins, `${name}_pool`) : adaptiveAvgPool(x, bins, `${name}_pool`);
    if (o.reduction) y = convBnRelu(y, Math.round(channels / o.bins.length), { kernel: 1, name: `${name}_conv` });
    return resize(y, { like: x, alignCorners: o.alignCorners, name: `${name}_up` });
  });
  return tfl.layers.concatenate({ name: 'ppm_concat' }).apply([x, ...levels]) as T;
}

export function pspnet(options: PSPNetOptions = {}): tfl.LayersModel {
  const o = resolveOptions(options);
  return segmentationModel({
    name: o.bins.length ? `pspnet-b${o.bins.join('')}-${o.pooling}${o.reduction ? '-dr' : ''}` : 'pspnet-baseline-fcn',
    size: o.size,
    channels: o.channels,
    seed: o.seed,
    // Sec. 4: the pretrained ResNet with dilated layer3 (rate 2) and layer4 (rate 4), 1/8 of the input.
    backbone: { name: o.backbone, width: o.width, outputStride: o.outputStride, pretrained: o.pretrained, backboneLayout: o.backboneLayout, frozenBatchNorm: o.frozenBatchNorm, loadWeights: o.loadWeights },
    head: (encoder) => {
      // Fig. 3: the pyramid pooling module on layer4, then the classifier (Sec. 3.3: 3x3 conv-bn-relu, dropout, 1x1).
      const features = o.bins.length ? pyramidPooling(tap(encoder, 'layer4'), o) : tap(encoder, 'layer4');
      return fcnHead(features, { channels: scaled(512, o.width), classes: o.classes, prefix: 'head_' });
    },
    // Sec. 3.3: the auxiliary loss on res4b22 (layer3), weighed by alpha in training only.
    auxiliary: o.auxiliary ? [{ output: AUX_OUTPUT, head: (encoder) => fcnHead(tap(encoder, 'layer3'), { channels: scaled(256, o.width), classes: o.classes, prefix: 'aux_' }) }] : [],
    alignCorners: o.alignCorners,
  });
}

/** The auxiliary head's output name (TrainConfig.auxiliaryLosses key). */
export const AUX_OUTPUT = 'aux_upsample';

/** Sec. 5.1: alpha = 0.4 on the auxiliary loss. */
export const PAPER_AUX_WEIGHT = 0.4;
