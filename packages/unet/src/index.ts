import { registerModel } from '@seg/core';
import { DEPTH, unetPaper, unetSameBn, validOutputSize } from './unet.js';

export { unet, unetPaper, unetSameBn, validOutputSize, tileCovering, type UNetOptions } from './unet.js';
export { unetTraining, type UNetTrainingOptions } from './training.js';

/** The zoo names' builders, for direct use (docs/zoo.md). */
export const models = {
  unet: unetPaper,
  'unet-same-bn': unetSameBn,
} as const;

registerModel({
  name: 'unet',
  package: '@seg/unet',
  paper: 'Ronneberger et al. 2015',
  input: [572, 572, 1],
  classes: 2,
  params: 31_030_658,
  pytorchMs: { onnx: 1698, train: 1534 },
  tile: [572, 572],
  // Every pooling must see an even size, so the skips crop symmetrically (Sec. 2).
  inputSides: { rule: 'each side must be even at every 2x2 pooling after its valid convolutions (572, 588, ...)', valid: (s) => validOutputSize(s) !== null },
  build: (o = {}) => unetPaper({ classes: o.classes, channels: o.channels, size: o.size, baseWidth: o.width ? 64 * o.width : undefined, seed: o.seed }),
});
registerModel({
  name: 'unet-same-bn',
  package: '@seg/unet',
  paper: 'Ronneberger et al. 2015, padded with BN',
  input: [512, 512, 1],
  classes: 2,
  params: 31_036_546,
  pytorchMs: { onnx: 2183, train: 4705 },
  // Four 2x2 poolings with same-size skips: the sides must divide by 2^4 = 16 (other sizes are padded at inference).
  sizeMultiple: 2 ** DEPTH,
  build: (o = {}) =>
    unetSameBn({ classes: o.classes, channels: o.channels, size: o.size, baseWidth: o.width ? 64 * o.width : undefined, seed: o.seed }),
});
