/**
 * `@seg/core/weights`: the ImageNet weights' catalogue and store alone,
 * without the engine, so `seg weights list/get/verify` stay fast.
 */
export { WEIGHTS, HUB, weightsSource, imagenetWeightsOf, registerWeights, weightsUrl, type ImageNetArch, type WeightsSource } from './catalog.js';
export { weightsRoot, weightsStatus, listWeights, weightsFile, verifyWeights, fetchWeights, knownWeights, type WeightsStatus } from './store.js';
export { IMAGENET_MEAN, IMAGENET_STD, imagenetClasses } from './imagenet-classes.js';
export { formatBytes } from '../io/task-progress.js';
export { InputError } from '../errors/input-error.js';
