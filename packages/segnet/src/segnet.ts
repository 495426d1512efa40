/**
 * SegNet (Badrinarayanan, Kendall & Cipolla, TPAMI 2017, Fig. 2 and Sec. 3):
 * VGG16's 13 convolutions as encoder, each stage ending in a 2x2 max-pool
 * that keeps its argmax indices; a mirrored decoder that upsamples with those
 * indices (no learned upsampling, no encoder maps kept) and convolves the
 * sparse maps dense; a final 3x3 convolution (with bias) to the classes.
 * Pooling rounds odd sizes up as Caffe does (360x480 -> ... -> 45 -> 23), and
 * each unpooling restores its encoder's stored size.
 */
import { applyImageNetStart, buildOverwriting, imagenetStartLayers, ImageNetNormalize, conv, convBnRelu, maxPoolWithArgmax, maxUnpool, resolveBackboneStart, scaled, seededBuild, tfl, VGG16_STAGES, type Pretrained } from '@seg/core';

type T = tfl.SymbolicTensor;

export interface SegNetOptions {
  classes?: number;
  channels?: number;
  size?: [number | null, number | null];
  /** Width multiplier for every convolution. */
  width?: number;
  seed?: number;
  /**
   * 'imagenet': the encoder's 13 convolutions start from torchvision's VGG16
   * (Sec. 3.3: "initialised from the weights trained for classification on
   * ImageNet"); its batch norms, which VGG16 lacks, and the decoder start as built.
   */
  pretrained?: Pretrained | null;
  /** false: the start's input transform without reading its weights (they come from a trained net). */
  loadWeights?: boolean;
}

/** The decoder's convolutions per stage, deepest first (the tutorial's segnet_train.prototxt, docs/zoo.md). */
export const SEGNET_DECODER: number[][] = [
  [512, 512, 512],
  [512, 512, 256],
  [256, 256, 128],
  [128, 64],
  [64],
];

export function segnet(o: SegNetOptions = {}): tfl.LayersModel {
  // A start that is not here is one sentence before any layer is built.
  const start = resolveBackboneStart('vgg16', { pretrained: o.pretrained, loadWeights: o.loadWeights });
  const load = o.loadWeights !== false;
  // Every random initializer draws from one seed (core's layers/seeds.ts); the encoder's skip theirs when ImageNet's replace them.
  return seededBuild(o.seed ?? 0, () => buildOverwriting(load ? imagenetStartLayers('vgg16', start.pretrained) : undefined, () => {
    const input = tfl.input({ shape: [...(o.size ?? [360, 480]), o.channels ?? 3], name: 'image' });
    // Encoder (Sec. 3): conv-bn-relu stacks, then pool keeping the indices.
    const stored: { before: T; indices: T }[] = [];
    // torchvision's weights take normalised images (core's layers/imagenet-input.ts).
    let x: T = start.pretrained === 'imagenet' ? (new ImageNetNormalize().apply(input) as T) : input;
    VGG16_STAGES.forEach((stage, i) => {
      for (let j = 1; j <= stage.convs; j++) x = convBnRelu(x, scaled(stage.channels, o.width), { kernel: 3, name: `conv${i + 1}_${j}` });
      const before = x;
      const [pooled, indices] = maxPoolWithArgmax(x, `pool${i + 1}`, { ceil: true });
      stored.push({ before, indices });
      x = pooled;
    });
    // Decoder (Fig. 3): unpool with the stored indices, then conv-bn-relu.
    SEGNET_DECODER.forEach((widths, d) => {
      const stage = VGG16_STAGES.length - d;
      const { before, indices } = stored[stage - 1]!;
      x = maxUnpool(x, indices, before, `upsample${stage}`);
      widths.forEach((c, j) => {
        x = convBnRelu(x, scaled(c, o.width), { kernel: 3, name: `conv${stage}_${widths.length - j}_D` });
      });
    });
    const logits = conv(x, o.classes ?? 11, { kernel: 3, name: 'classifier' });
    const model = tfl.model({ inputs: input, outputs: logits, name: 'segnet-vgg16' });
    if (load) applyImageNetStart(model, 'vgg16', start.pretrained);
    return model;
  }));
}
