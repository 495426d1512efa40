/**
 * The engine benchmark's fixture: a U-Net-shaped net (Ronneberger et al.
 * 2015, Fig. 1) with same-padded conv-bn-relu, the shape of ZOO.md's
 * unet-same-bn. @seg/unet holds the real model; core cannot import it.
 */
import { tfl } from '../engine/tf.js';
import { conv, convBnRelu, maxPool } from '../blocks/conv-blocks.js';
import { scaled } from '../backbones/width.js';

type T = tfl.SymbolicTensor;

export function unetLike(o: { size: number; channels?: number; classes?: number; width?: number; depth?: number }): tfl.LayersModel {
  const depth = o.depth ?? 4;
  const input = tfl.input({ shape: [o.size, o.size, o.channels ?? 1] });
  const skips: T[] = [];
  let x: T = input;
  let seed = 1;
  for (let level = 0; level <= depth; level++) {
    const c = scaled(64 * 2 ** level, o.width);
    x = convBnRelu(x, c, { seed: seed++ });
    x = convBnRelu(x, c, { seed: seed++ });
    if (level < depth) {
      skips.push(x);
      x = maxPool(x);
    }
  }
  for (let level = depth - 1; level >= 0; level--) {
    const c = scaled(64 * 2 ** level, o.width);
    x = tfl.layers.conv2dTranspose({ filters: c, kernelSize: 2, strides: 2, padding: 'same' }).apply(x) as T;
    x = tfl.layers.concatenate().apply([skips[level]!, x]) as T;
    x = convBnRelu(x, c, { seed: seed++ });
    x = convBnRelu(x, c, { seed: seed++ });
  }
  return tfl.model({ inputs: input, outputs: conv(x, o.classes ?? 2, { kernel: 1, seed }) });
}
