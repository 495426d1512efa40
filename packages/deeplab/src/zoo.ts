/** The zoo names of docs/zoo.md as DeepLab settings. */
import { CAFFE_RESNET_LAYERS, IMAGENET_LAYERS, registerModel, type BuildOptions, type ModelSpec } from '@seg/core';
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

/** The layers of Caffe's ResNet-50 (the 'imagenet-caffe' start the quick replication uses), for their lower learning rate. */
export const IMAGENET_BACKBONE_LAYERS = CAFFE_RESNET_LAYERS;

/** Registers a zoo name with what docs/zoo.md states of it; its backbone, and the ImageNet start of a ResNet-50, come from its options. */
function register(name: string, stated: Pick<ModelSpec, 'paper' | 'input' | 'classes' | 'params' | 'pytorchMs'>) {
  const backbone = ZOO_OPTIONS[name]!.backbone ?? 'resnet50';
  registerModel({
    name,
    package: '@seg/deeplab',
    ...stated,
    build: (o) => zooModel(name, o),
    backbone,
    // torchvision's ImageNet weights for every backbone; Caffe's ResNet-50 (npm, Caffe's layout) too.
    pretrained: backbone === 'resnet50' ? ['imagenet', 'imagenet-caffe'] : ['imagenet'],
    backboneLayers: IMAGENET_LAYERS,
  });
}

register('deeplabv1-largefov', { paper: 'Chen et al. 2015 (v1)', input: [321, 321, 3], classes: 21, params: 20_505_429, pytorchMs: { onnx: 527, train: 2652 } });
register('deeplabv2-aspp-l', { paper: 'Chen et al. 2017 (v2)', input: [321, 321, 3], classes: 21, params: 44_048_532, pytorchMs: { onnx: 808, train: 4260 } });
register('deeplabv3-resnet50', { paper: 'Chen et al. 2017 (v3)', input: [513, 513, 3], classes: 21, params: 39_048_533, pytorchMs: { onnx: 523, train: 1116 } });
register('deeplabv3plus-resnet50', { paper: 'Chen et al. 2018 (v3+)', input: [513, 513, 3], classes: 21, params: 40_352_181, pytorchMs: { onnx: 788, train: 1558 } });
