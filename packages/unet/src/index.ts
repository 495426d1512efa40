import { registerModel } from '@seg/core';
import { unetPaper, unetSameBn } from './unet.js';

export { unet, unetPaper, unetSameBn, validOutputSize, tileCovering, type UNetOptions } from './unet.js';
export { unetTraining, type UNetTrainingOptions } from './training.js';

/** The zoo names (ZOO.md). */
export const models = {
  unet: unetPaper,
  'unet-same-bn': unetSameBn,
} as const;

registerModel({
  name: 'unet',
  package: '@seg/unet',
  tile: [572, 572],
  build: (o = {}) => unetPaper({ classes: o.classes, channels: o.channels, size: o.size, baseWidth: o.width ? 64 * o.width : undefined, seed: o.seed }),
});
registerModel({
  name: 'unet-same-bn',
  package: '@seg/unet',
  build: (o = {}) =>
    unetSameBn({ classes: o.classes, channels: o.channels, size: o.size, baseWidth: o.width ? 64 * o.width : undefined, seed: o.seed }),
});
