import { registerModel } from '@seg/core';
import { segnet } from './segnet.js';
import { SEGNET_BASIC_DECODERS, segnetBasic, type SegNetBasicDecoder } from './segnet-basic.js';

export { segnet, SEGNET_DECODER, type SegNetOptions } from './segnet.js';
export { segnetBasic, SEGNET_BASIC_DECODERS, type SegNetBasicDecoder, type SegNetBasicOptions } from './segnet-basic.js';
export { decoderStorage, type DecoderStorage } from './storage.js';

registerModel({
  name: 'segnet-vgg16',
  package: '@seg/segnet',
  build: (o = {}) => segnet({ size: o.size ?? [360, 480], classes: o.classes, channels: o.channels, width: o.width, seed: o.seed }),
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

for (const decoder of SEGNET_BASIC_DECODERS) {
  registerModel({
    name: TABLE1_NAMES[decoder],
    package: '@seg/segnet',
    input: [360, 480, 3],
    classes: 11,
    build: (o = {}) => segnetBasic({ decoder, size: o.size ?? [360, 480], classes: o.classes, channels: o.channels, seed: o.seed }),
  });
}
