export { tf, tfl } from './engine/tf.js';
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
export { conv2dFilterGrad, conv2dInputGrad, depthwiseFilterGrad, depthwiseInputGrad, convInfo } from './engine/conv-grad.js';
