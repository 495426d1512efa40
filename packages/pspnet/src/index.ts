import './zoo.js';

export { pspnet, pyramidPooling, resolveOptions, AUX_OUTPUT, PAPER_AUX_WEIGHT, type PSPNetOptions, type ResolvedPSPNetOptions } from './pspnet.js';
export { ZOO_OPTIONS, zooModel } from './zoo.js';
