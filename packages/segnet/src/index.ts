import { IMAGENET_LAYERS, registerModel } from '@seg/core';
import { segnet } from './segnet.js';
import { SEGNET_BASIC_DECODERS, segnetBasic, type SegNetBasicDecoder } from './segnet-basic.js';

export { segnet, SEGNET_DECODER, type SegNetOptions } from './segnet.js';
export { segnetBasic, SEGNET_BASIC_DECODERS, type SegNetBasicDecoder, type SegNetBasicOptions } from './segnet-basic.js';
export { decoderStorage, type DecoderStorage } from './storage.js';

registerModel({
  name: 'segnet-vgg16',
  package: '@seg/segnet',
  paper: 'Badrinarayanan et al. 2017',
  input: [360, 480, 3],
  classes: 11,
  params: 29_441_419,
  pytorchMs: { onnx: 1275, train: 3522 },
  build: (o = {}) => segnet({ size: o.size, classes: o.classes, channels: o.channels, width: o.width, seed: o.seed, pretrained: o.pretrained }),
  backbone: 'vgg16',
  pretrained: ['imagenet'],
  backboneLayers: IMAGENET_LAYERS,
});

/** Table 1's names: SegNet-Basic, SegNet-Basic-SingleChannelDecoder, ..., FCN-Basic-NoAddition-NoDimReduction, Bilinear-Interpolation. */
export const TABLE1_NAMES: Record<SegNetBasicDecoder, string> = {
  segnet: 'segnet-basic',
  'single-channel': 'segnet-basic-single-channel-decoder',
  'encoder-addition': 'segnet-basic-encoder-addition',
  fcn: 'fcn-basic',
  'fcn-no-addition': 'fcn-basic-no-addition',
  'fcn-no-dim-reduction': 'fcn-basic-no-dim-reduction',
  'fcn-no-addition-no-dim-reduction': 'fcn-basic-no-addition-no-dim-reduction',
  bilinear: 'bilinear-interpolation',
};

/** Trainable parameters of each as built here, counted from the layers in the tests; Table 1 rounds them (1.425M, 0.625M, ...). */
const TABLE1_PARAMS: Record<SegNetBasicDecoder, number> = {
  segnet: 1_416_075,
  'single-channel': 625_803,
  'encoder-addition': 1_416_075,
  fcn: 646_583,
  'fcn-no-addition': 643_723,
  'fcn-no-dim-reduction': 1_661_323,
  'fcn-no-addition-no-dim-reduction': 1_661_323,
  bilinear: 625_803,
};

for (const decoder of SEGNET_BASIC_DECODERS) {
  registerModel({
    name: TABLE1_NAMES[decoder],
    package: '@seg/segnet',
    paper: 'Badrinarayanan et al. 2017 (Table 1)',
    input: [360, 480, 3],
    classes: 11,
    params: TABLE1_PARAMS[decoder],
    variant: true,
    build: (o = {}) => segnetBasic({ decoder, size: o.size, classes: o.classes, channels: o.channels, seed: o.seed }),
  });
}
