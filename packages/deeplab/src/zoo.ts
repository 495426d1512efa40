/** The zoo names of docs/zoo.md as DeepLab settings. */
import { CAFFE_RESNET_LAYERS, registerModel, type BuildOptions } from '@seg/core';
import { deeplab, type DeepLabOptions } from './deeplab.js';

export const ZOO_OPTIONS: Record<string, DeepLabOptions & { size: [number, number] }> = {
  // DeepLab v1 LargeFOV: VGG16, fc6 3x3 rate 12 with 1024 channels.
  'deeplabv1-largefov': { backbone: 'vgg16', head: 'largefov', size: [321, 321] },
  // DeepLab v2 ASPP-L on ResNet-101, output stride 8.
  'deeplabv2-aspp-l': { backbone: 'resnet101', head: 'aspp-l', outputStride: 8, size: [321, 321] },
  // DeepLab v3: ResNet-50, output stride 16, multi-grid (1, 2, 4), ASPP with image pooling.
  'deeplabv3-resnet50': { backbone: 'resnet50', head: 'aspp-v3', outputStride: 16, multiGrid: [1, 2, 4], imagePooling: true, size: [513, 513] },
  // DeepLab v3+: v3's encoder and the decoder on layer1.
  'deeplabv3plus-resnet50': { backbone: 'resnet50', head: 'aspp-v3', outputStride: 16, multiGrid: [1, 2, 4], imagePooling: true, decoder: true, size: [513, 513] },
};

/** A zoo model by name, with the registry's build options (classes, size, width, ...) applied. */
export function zooModel(name: string, o: BuildOptions = {}) {
  const base = ZOO_OPTIONS[name];
  if (!base) throw new Error(`@seg/deeplab has no model "${name}"; it has ${Object.keys(ZOO_OPTIONS).join(', ')}.`);
  return deeplab({ ...base, ...(o.classes ? { classes: o.classes } : {}), ...(o.size ? { size: o.size } : {}), ...(o.channels ? { channels: o.channels } : {}), ...(o.width ? { width: o.width } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.pretrained ? { pretrained: o.pretrained } : {}) });
}

/** The pretrained backbone's layers (core's Caffe-layout ResNet-50), for its lower learning rate. */
export const IMAGENET_BACKBONE_LAYERS = CAFFE_RESNET_LAYERS;

for (const [name, options] of Object.entries(ZOO_OPTIONS)) {
  const backbone = options.backbone ?? 'resnet50';
  registerModel({
    name,
    package: '@seg/deeplab',
    build: (o) => zooModel(name, o),
    backbone,
    // --pretrained imagenet builds the ResNet-50 in Caffe's layout, the weights' own.
    ...(backbone === 'resnet50' ? { pretrained: ['imagenet' as const], backboneLayers: IMAGENET_BACKBONE_LAYERS } : {}),
  });
}
