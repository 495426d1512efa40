import { registerModel } from '@seg/core';
import { fcn, type FcnVariant } from './fcn.js';

export { fcn, initFromCoarser, type FcnOptions, type FcnVariant } from './fcn.js';

for (const variant of ['32s', '16s', '8s'] as FcnVariant[]) {
  registerModel({
    name: `fcn${variant}-vgg16`,
    package: '@seg/fcn',
    build: (o = {}) => fcn({ variant, size: o.size ?? [512, 512], ...(o.classes ? { classes: o.classes } : {}), ...(o.channels ? { channels: o.channels } : {}), ...(o.width ? { width: o.width } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) }),
  });
}
