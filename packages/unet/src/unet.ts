/**
 * U-Net (Ronneberger, Fischer & Brox 2015, Fig. 1): a contracting path of
 * two 3x3 convolutions + ReLU and a 2x2 max-pool per level (64, 128, 256,
 * 512 channels, 1024 at the bottom), and an expansive path of a 2x2 "up-
 * convolution" halving the channels, concatenation with the centre-cropped
 * feature map of the same level, and two 3x3 convolutions; a final 1x1
 * convolution maps to the classes.
 *
 * `unet`: unpadded ("valid") convolutions, 572x572 in -> 388x388 out, large
 * images segmented by overlap-tile (Fig. 2). `unet-same-bn`: padded
 * conv-bn-relu, output at the input size (the common modern variant).
 */
import { centerCrop, conv, convBnRelu, convRelu, maxPool, scaled, seededBuild, initializerSeed, tfl } from '@seg/core';

type T = tfl.SymbolicTensor;

export interface UNetOptions {
  classes?: number;
  /** Input channels (ISBI's EM slices are grey). */
  channels?: number;
  /** Channels of the first level (64 in the paper); the others double per level. */
  baseWidth?: number;
  /** Pooling steps (DEPTH, 4 in the paper). */
  depth?: number;
  /** 'valid' (the paper) or 'same' padding. */
  padding?: 'valid' | 'same';
  /** conv-bn-relu instead of conv-relu. */
  batchNorm?: boolean;
  /** Input [height, width]; null for any size ('same') . Default: 572x572 for valid, any for same. */
  size?: [number | null, number | null];
  seed?: number;
}

/** The paper's pooling steps. */
export const DEPTH = 4;

/** Output side of a valid U-Net for an input side, or null where a pooling step would see an odd size. */
export function validOutputSize(input: number, depth = DEPTH): number | null {
  let s = input;
  for (let i = 0; i < depth; i++) {
    s -= 4;
    if (s <= 0 || s % 2) return null;
    s /= 2;
  }
  s -= 4;
  for (let i = 0; i < depth; i++) s = s * 2 - 4;
  return s > 0 ? s : null;
}

/** The smallest valid input size whose output covers `target` pixels: one overlap-tile for the whole image. */
export function tileCovering(target: number, depth = DEPTH): number {
  for (let s = target; ; s++) {
    const out = validOutputSize(s, depth);
    if (out !== null && out >= target) return s;
  }
}

export function unet(o: UNetOptions = {}): tfl.LayersModel {
  // Every random initializer draws from one seed (core's layers/seeds.ts): the same seed builds the same net.
  return seededBuild(o.seed ?? 0, () => {
    const depth = o.depth ?? DEPTH;
    const padding = o.padding ?? 'valid';
    const size = o.size ?? (padding === 'valid' ? [572, 572] : [null, null]);
    const width = (level: number) => scaled((o.baseWidth ?? 64) * 2 ** level);
    // "two 3x3 convolutions (unpadded convolutions), each followed by a ReLU"
    const doubleConv = (x: T, channels: number, name: string) => {
      const block = o.batchNorm ? convBnRelu : convRelu;
      const pad = padding === 'valid' ? 'valid' : 1;
      const a = block(x, channels, { kernel: 3, padding: pad, name: `${name}_conv1` });
      return block(a, channels, { kernel: 3, padding: pad, name: `${name}_conv2` });
    };

    const input = tfl.input({ shape: [size[0], size[1], o.channels ?? 1], name: 'image' });
    const skips: T[] = [];
    let x: T = input;
    for (let level = 0; level < depth; level++) {
      x = doubleConv(x, width(level), `down${level + 1}`);
      skips.push(x);
      x = maxPool(x, { size: 2, name: `pool${level + 1}` });
    }
    x = doubleConv(x, width(depth), 'bottleneck');
    for (let level = depth - 1; level >= 0; level--) {
      // "a 2x2 convolution ("up-convolution") that halves the number of feature channels"
      const up = tfl.layers
        .conv2dTranspose({
          filters: width(level),
          kernelSize: 2,
          strides: 2,
          padding: 'valid',
          useBias: true,
          // tfjs's own layer: seeded from the build's stream like ours, so the same seed starts from the same weights
          kernelInitializer: tfl.initializers.heNormal({ seed: initializerSeed() }),
          name: `up${level + 1}_upconv`,
        })
        .apply(x) as T;
      // "a concatenation with the correspondingly cropped feature map from the contracting path"
      const skip = padding === 'valid' ? centerCrop(skips[level]!, up, `up${level + 1}_crop`) : skips[level]!;
      x = tfl.layers.concatenate({ name: `up${level + 1}_concat` }).apply([skip, up]) as T;
      x = doubleConv(x, width(level), `up${level + 1}`);
    }
    // "a 1x1 convolution is used to map each 64-component feature vector to the desired number of classes"
    const logits = conv(x, o.classes ?? 2, { kernel: 1, padding: 0, name: 'classifier' });
    return tfl.model({ inputs: input, outputs: logits, name: padding === 'valid' ? 'unet' : 'unet-same-bn' });
  });
}

/** docs/zoo.md's `unet`: valid convolutions, 572x572x1 -> 388x388x2. */
export const unetPaper = (o: UNetOptions = {}) => unet({ padding: 'valid', batchNorm: false, ...o });

/** docs/zoo.md's `unet-same-bn`: same-padded conv-bn-relu, 512x512x1 -> 512x512x2 (any size divisible by 16). */
export const unetSameBn = (o: UNetOptions = {}) => unet({ padding: 'same', batchNorm: true, ...o });
