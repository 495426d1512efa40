import { IMAGENET_LAYERS, registerModel, type BuildOptions } from '@seg/core';
import { fcn, type FcnVariant } from './fcn.js';

export { fcn, initFromCoarser, type FcnOptions, type FcnVariant } from './fcn.js';

/** The registry's options as FCN's (size, classes and channels arrive filled with the stated defaults). */
const build = (variant: FcnVariant) => (o: BuildOptions = {}) =>
  fcn({ variant, size: o.size, ...(o.classes ? { classes: o.classes } : {}), ...(o.channels ? { channels: o.channels } : {}), ...(o.width ? { width: o.width } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.pretrained ? { pretrained: o.pretrained } : {}) });

/** VGG16 and its fc6/fc7 start from torchvision's ImageNet classifier (Sec. 3.1, 4.1). */
const imagenet = { backbone: 'vgg16', pretrained: ['imagenet' as const], backboneLayers: IMAGENET_LAYERS };

registerModel({ name: 'fcn32s-vgg16', package: '@seg/fcn', paper: 'Long et al. 2015', input: [512, 512, 3], classes: 21, params: 134_346_581, build: build('32s'), ...imagenet });
registerModel({ name: 'fcn16s-vgg16', package: '@seg/fcn', paper: 'Long et al. 2015', input: [512, 512, 3], classes: 21, params: 134_364_410, build: build('16s'), ...imagenet });
registerModel({
  name: 'fcn8s-vgg16',
  package: '@seg/fcn',
  paper: 'Long et al. 2015',
  input: [512, 512, 3],
  classes: 21,
  params: 134_376_863,
  pytorchMs: { onnx: 1256, train: 3258 },
  build: build('8s'),
  ...imagenet,
});
