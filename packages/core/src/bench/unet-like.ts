/**
 * The engine benchmark's fixture: a U-Net-shaped net (Ronneberger et al.
 * 2015, Fig. 1) with same-padded conv-bn-relu, the shape of docs/zoo.md's
 * unet-same-bn. @seg/unet holds the real model; core cannot import it.
 */
import { tfl } from '../engine/tf.js';
import { conv, convBnRelu, maxPool } from '../blocks/conv-blocks.js';
import { scaled } from '../backbones/width.js';
import { initializerSeed, seededBuild } from '../layers/seeds.js';

type T = tfl.SymbolicTensor;

type Options = { size: number; channels?: number; classes?: number; width?: number; depth?: number };

/** Built with seed 1 (layers/seeds.ts), so every run of the benchmark starts from the same weights. */
export function unetLike(o: Options): tfl.LayersModel {
  return seededBuild(1, () => build(o));
}

function build(o: Options): tfl.LayersModel {
  const depth = o.depth ?? 4;
  const input = tfl.input({ shape: [o.size, o.size, o.channels ?? 1] });
  const skips: T[] = [];
  let x: T = input;
  for (let level = 0; level <= depth; level++) {
    const c = scaled(64 * 2 ** level, o.width);
    x = convBnRelu(x, c);
    x = convBnRelu(x, c);
    if (level < depth) {
      skips.push(x);
      x = maxPool(x);
    }
  }
  for (let level = depth - 1; level >= 0; level--) {
    const c = scaled(64 * 2 ** level, o.width);
    // tfjs's own layer, its default initializer seeded from the build's stream like ours
    const kernelInitializer = tfl.initializers.glorotUniform({ seed: initializerSeed() });
    x = tfl.layers.conv2dTranspose({ filters: c, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer }).apply(x) as T;
    x = tfl.layers.concatenate().apply([skips[level]!, x]) as T;
    x = convBnRelu(x, c);
    x = convBnRelu(x, c);
  }
  return tfl.model({ inputs: input, outputs: conv(x, o.classes ?? 2, { kernel: 1 }) });
}
