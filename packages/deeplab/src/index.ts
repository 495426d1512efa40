import './zoo.js';

export { deeplab, resolveOptions, withOutputStride, AUX_OUTPUT, type Backbone, type DeepLabOptions, type Head } from './deeplab.js';
export { asppV2, V2_RATES, type AsppV2Options } from './heads/aspp-v2.js';
export { asppV3, type AsppV3Options } from './heads/aspp-v3.js';
export { decoderV3plus } from './heads/decoder.js';
export { ZOO_OPTIONS, zooModel, IMAGENET_BACKBONE_LAYERS } from './zoo.js';
