/** The zoo name of docs/zoo.md as a PSPNet setting. */
import { IMAGENET_LAYERS, registerModel, type BuildOptions } from '@seg/core';
import { AUX_OUTPUT, PAPER_AUX_WEIGHT, pspnet, type PSPNetOptions } from './pspnet.js';

export const ZOO_OPTIONS: Record<string, PSPNetOptions & { size: [number, number] }> = {
  // PSPNet: dilated ResNet-50 (output stride 8), bins 1/2/3/6 with average pooling and DR; auxiliary head on layer3.
  'pspnet-resnet50': { bins: [1, 2, 3, 6], pooling: 'avg', reduction: true, outputStride: 8, size: [473, 473] },
};

/** A zoo model by name, with the registry's build options (classes, size, auxiliary head, ...) applied. */
export function zooModel(name: string, o: BuildOptions = {}) {
  const base = ZOO_OPTIONS[name];
  if (!base) throw new Error(`@seg/pspnet has no model "${name}"; it has ${Object.keys(ZOO_OPTIONS).join(', ')}.`);
  return pspnet({
    ...base,
    ...(o.classes ? { classes: o.classes } : {}),
    ...(o.size ? { size: o.size } : {}),
    ...(o.channels ? { channels: o.channels } : {}),
    ...(o.width ? { width: o.width } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.pretrained ? { pretrained: o.pretrained } : {}),
    ...(o.auxiliary !== undefined ? { auxiliary: o.auxiliary } : {}),
  });
}

registerModel({
  name: 'pspnet-resnet50',
  package: '@seg/pspnet',
  paper: 'Zhao et al. 2017',
  input: [473, 473, 3],
  classes: 21,
  params: 46_592_597,
  paramsWithAux: 48_957_802,
  pytorchMs: { onnx: 1675, train: 4278 },
  build: (o) => zooModel('pspnet-resnet50', o),
  backbone: 'resnet50',
  // torchvision's ImageNet ResNet-50, or Caffe's (npm, Caffe's layout).
  pretrained: ['imagenet', 'imagenet-caffe'],
  backboneLayers: IMAGENET_LAYERS,
  auxiliaryLosses: { [AUX_OUTPUT]: PAPER_AUX_WEIGHT },
});
