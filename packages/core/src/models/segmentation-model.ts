/**
 * The shape of the segmentation nets built on a backbone (FCN, PSPNet,
 * DeepLab): an image input, the backbone as an encoder (named taps with
 * their strides, backbones/encoder.ts), a head that turns the taps into
 * class scores, training-only auxiliary heads (models/auxiliary.ts), the
 * scores brought to the input's size, and the backbone's ImageNet start.
 *
 * One seed builds it (layers/seeds.ts): each random initializer takes the
 * next value of the seed's stream in construction order, so the backbone is
 * built first, then the head, then the auxiliary heads.
 */
import { tfl } from '../engine/tf.js';
import { resize } from '../blocks/conv-blocks.js';
import { backboneEncoder, type BackboneOptions } from '../backbones/backbone.js';
import type { Encoder } from '../backbones/encoder.js';
import { applyImageNetStart, imagenetStartLayers, resolveBackboneStart } from '../backbones/pretrained.js';
import { buildOverwriting, seededBuild } from '../layers/seeds.js';
import type { VggClassifierLayer } from '../weights/load-torchvision.js';

type T = tfl.SymbolicTensor;

export interface AuxiliaryHead {
  /** The output's name: its loss weight's key (TrainConfig.auxiliaryLosses). */
  output: string;
  /** Class scores from the encoder's taps, at any stride; resized to the input as the prediction is. */
  head: (encoder: Encoder) => T;
}

export interface SegmentationModelOptions {
  name: string;
  /** Input [height, width]; null for any size. */
  size?: [number | null, number | null];
  channels?: number;
  seed?: number;
  /** A backbone by name (backbones/backbone.ts), or any encoder of the input. */
  backbone: BackboneOptions | ((input: T) => Encoder);
  /** The class scores from the encoder's taps. */
  head: (encoder: Encoder) => T;
  /** Heads whose outputs only training uses, after the prediction. */
  auxiliary?: readonly AuxiliaryHead[];
  /** Bilinear resizing with aligned corners (Caffe) instead of half-pixel centres. */
  alignCorners?: boolean;
  /** The resized prediction's layer name ('upsample'). */
  output?: string;
  /** The model's own way from the scores to the input's size (FCN's fixed deconvolution and crop) instead of bilinear resizing. */
  upsample?: (scores: T, input: T) => T;
  /** Head layers that start from VGG16's fc6 / fc7 when the backbone starts from ImageNet (FCN, DeepLab v1/v2). */
  imagenetHead?: Record<string, VggClassifierLayer>;
}

export function segmentationModel(o: SegmentationModelOptions): tfl.LayersModel {
  // Before any layer is built: a start the backbone cannot take is one sentence.
  const start = typeof o.backbone === 'function' ? undefined : resolveBackboneStart(o.backbone.name, o.backbone);
  const backbone = typeof o.backbone === 'function' ? undefined : o.backbone.name;
  // Layers the start overwrites skip their random initialisation (their seeds are still drawn).
  const load = typeof o.backbone !== 'function' && o.backbone.loadWeights !== false;
  const overwritten = backbone && start && load ? imagenetStartLayers(backbone, start.pretrained, o.imagenetHead) : undefined;
  return seededBuild(o.seed ?? 0, () => buildOverwriting(overwritten, () => {
    const input = tfl.input({ shape: [...(o.size ?? [null, null]), o.channels ?? 3], name: 'image' });
    const encoder = typeof o.backbone === 'function' ? o.backbone(input) : backboneEncoder(input, { ...o.backbone, ...start });
    const toInput = (scores: T, name: string) => resize(scores, { like: input, alignCorners: o.alignCorners, name });
    const scores = o.head(encoder);
    const outputs = [o.upsample ? o.upsample(scores, input) : toInput(scores, o.output ?? 'upsample')];
    for (const aux of o.auxiliary ?? []) outputs.push(toInput(aux.head(encoder), aux.output));
    const model = tfl.model({ inputs: input, outputs, name: o.name });
    if (start && load) applyImageNetStart(model, (o.backbone as BackboneOptions).name, start.pretrained, o.imagenetHead);
    return model;
  }));
}
