/**
 * Gradients for Conv2D and DepthwiseConv2dNative that accept dilations > 1.
 * tfjs-core's own ones assert dilation 1 ("dilation rates greater than 1 are
 * not yet supported in gradients"); DeepLab needs them on every backend.
 * Undilated cases keep going to the backend's backprop kernels (on wasm,
 * ours from wasm-kernels.ts), and so do dilated ones where the backend's
 * engine says its kernels take them (dilated-backprop.ts); elsewhere
 * dilated ones use the compositions in conv-grad.ts, which run on any
 * backend.
 */
import { tf } from './tf.js';
import { resizeBilinearGrad } from './resize-grad.js';
import { batchNormGrad } from './batchnorm-grad.js';
import { reluGradConfig } from './relu-grad.js';
import { conv2dFilterGrad, conv2dInputGrad, convInfo, depthwiseFilterGrad, depthwiseInputGrad } from './conv-grad.js';
import { backpropTakesDilations } from './dilated-backprop.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export interface ConvAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const isOne = (d: [number, number] | number | undefined) =>
  d == null || (typeof d === 'number' ? d === 1 : d[0] === 1 && d[1] === 1);

/** Whether the active backend's own backprop kernel serves this convolution. */
const native = (depthwise: boolean, xShape: number[], filterShape: number[], a: ConvAttrs) =>
  isOne(a.dilations) || backpropTakesDilations(depthwise, xShape, filterShape, a.strides, a.pad, a.dilations!, a.dimRoundingMode);

/** dL/dx of a Conv2D: the backend's kernel when undilated, else the composition. */
export function convBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, xShape: number[], a: ConvAttrs): tf.Tensor4D {
  if (native(false, xShape, filter.shape, a)) {
    const attrs = { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dimRoundingMode: a.dimRoundingMode, inputShape: xShape, dilations: a.dilations ?? 1 };
    return tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs as never) as tf.Tensor4D;
  }
  return conv2dInputGrad(dy, filter, convInfo(xShape, filter.shape, a.strides, a.pad, a.dilations, a.dimRoundingMode));
}

/** dL/dfilter of a Conv2D: the backend's kernel when undilated, else the composition. */
export function convBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], a: ConvAttrs): tf.Tensor4D {
  if (native(false, x.shape, filterShape, a)) {
    const attrs = { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dimRoundingMode: a.dimRoundingMode, filterShape, dilations: a.dilations ?? 1 };
    return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as never) as tf.Tensor4D;
  }
  return conv2dFilterGrad(x, dy, convInfo(x.shape, filterShape, a.strides, a.pad, a.dilations, a.dimRoundingMode));
}

const conv2dGrad: tf.GradConfig = {
  kernelName: tf.Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    if (a.dataFormat === 'NCHW') throw new Error('seg convolutions are NHWC; got a Conv2D with dataFormat NCHW.');
    const g = dy as tf.Tensor4D;
    return { x: () => convBackpropInput(g, filter, x.shape, a), filter: () => convBackpropFilter(x, g, filter.shape, a) };
  },
};

const depthwiseGrad: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNative,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    const g = dy as tf.Tensor4D;
    if (native(true, x.shape, filter.shape, a)) {
      const common = { strides: a.strides, pad: a.pad, dilations: a.dilations ?? 1, dimRoundingMode: a.dimRoundingMode };
      return {
        x: () => tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: g, filter }, { ...common, inputShape: x.shape } as never) as tf.Tensor,
        filter: () => tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy: g }, { ...common, filterShape: filter.shape } as never) as tf.Tensor,
      };
    }
    const info = convInfo(x.shape, filter.shape, a.strides, a.pad, a.dilations, a.dimRoundingMode, true);
    return { x: () => depthwiseInputGrad(g, filter, info), filter: () => depthwiseFilterGrad(x, g, filter.shape, info) };
  },
};

let registered = false;

/**
 * Replaces tfjs-core's Conv2D, DepthwiseConv2dNative, ResizeBilinear,
 * FusedBatchNorm and Relu gradients (idempotent; `again` after loading tfjs-node,
 * whose @tensorflow/tfjs registers tfjs-core's own ones over ours).
 */
export function registerConvGradients(again = false): void {
  if (registered && !again) return;
  tf.registerGradient(conv2dGrad);
  tf.registerGradient(depthwiseGrad);
  tf.registerGradient(resizeBilinearGrad);
  tf.registerGradient(batchNormGrad);
  tf.registerGradient(reluGradConfig);
  registered = true;
}
