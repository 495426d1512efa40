// Engine
export { tf, tfl, type Initializer } from './engine/tf.js';
export {
  initEngine,
  useBackend,
  engineInfo,
  describeEngine,
  parseBackendChoice,
  BACKEND_CHOICES,
  type BackendChoice,
  type EngineInfo,
} from './engine/backend.js';
export { shutdownWasmThreads } from './engine/wasm-threads.js';
export { conv2dFilterGrad, conv2dInputGrad, depthwiseFilterGrad, depthwiseInputGrad, convInfo } from './engine/conv-grad.js';

// Layers and blocks
export { Conv2D, DepthwiseConv2D, type Conv2DArgs, type DepthwiseConv2DArgs } from './layers/conv.js';
export { ConvBn, type ConvBnArgs } from './layers/conv-bn.js';
export { ResizeBilinear, type ResizeBilinearArgs } from './layers/resize.js';
export { CenterCrop } from './layers/crop.js';
export { MaxPoolWithArgmax, MaxUnpool, AdaptiveAvgPool2D, adaptiveBins } from './layers/pooling.js';
export * from './blocks/conv-blocks.js';
export { bilinearKernel, bilinearTransposeWeights, transposedUpsample, type TransposedUpsampleOptions } from './blocks/upsample.js';

// Backbones
export { vgg16, VGG16_STAGES, type Vgg16Options, type Vgg16Taps } from './backbones/vgg.js';
export { resnet, RESNET_BLOCKS, dilationForOutputStride, type ResNetOptions, type ResNetTaps } from './backbones/resnet.js';
export { scaled } from './backbones/width.js';

// Models, losses, training, I/O
export { countTrainableParams } from './models/params.js';
export { softmaxCrossEntropy, type CrossEntropyOptions } from './losses/cross-entropy.js';
export { trainStep, trainableVariables, type LossFn } from './train/step.js';
export { fileSystem, saveModel, writeFolderAtomically } from './io/file-system.js';
export { ZOO, zooEntry, type ZooEntry } from './zoo/reference.js';
export { timeTask, type Timing } from './bench/timing.js';
