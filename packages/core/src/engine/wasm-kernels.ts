/**
 * Training kernels for tfjs's wasm backend: Conv2DBackpropFilter and the two
 * depthwise backprop kernels (missing), and Conv2DBackpropInput (replacing a
 * scalar loop about 10x slower than the forward convolution). Each is built
 * from XNNPACK-backed forward primitives; see conv-grad.ts. MaxPoolGrad is
 * replaced because the wasm one is wrong for all-negative windows.
 */
import { tf } from './tf.js';
import { maxPoolBackprop } from './pool-grad.js';
import { conv2dFilterGrad, conv2dInputGrad, convInfo, depthwiseFilterGrad, depthwiseInputGrad } from './conv-grad.js';

type Attrs = Record<string, unknown> & {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
};

// Kernels receive TensorInfos; wrapping them as Tensors lets us compose ops.
// makeTensorFromTensorInfo does not take a reference on the data, so we do:
// disposing the wrapper must not free the caller's input. The engine accepts
// a Tensor as a kernel's output (tfjs-node's kernels return them too).
function wrap(t: tf.TensorInfo): tf.Tensor4D {
  const engine = tf.engine();
  const tensor = engine.makeTensorFromTensorInfo(t) as tf.Tensor4D;
  engine.backend.incRef(t.dataId);
  return tensor;
}

function nhwcOnly(kernel: string, attrs: Attrs) {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} on wasm supports NHWC only; got NCHW.`);
}

const kernels: tf.KernelConfig[] = [
  {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs;
      nhwcOnly('Conv2DBackpropInput', a);
      const inputShape = a.inputShape as number[];
      return tf.tidy(() => {
        const dy = wrap(inputs.dy!);
        const filter = wrap(inputs.filter!);
        const info = convInfo(inputShape, filter.shape, a.strides, a.pad, 1, a.dimRoundingMode);
        return conv2dInputGrad(dy, filter, info);
      });
    },
  },
  {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs;
      nhwcOnly('Conv2DBackpropFilter', a);
      const filterShape = a.filterShape as number[];
      return tf.tidy(() => {
        const x = wrap(inputs.x!);
        const dy = wrap(inputs.dy!);
        const info = convInfo(x.shape, filterShape, a.strides, a.pad, 1, a.dimRoundingMode);
        return conv2dFilterGrad(x, dy, info);
      });
    },
  },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropInput,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs;
      const inputShape = a.inputShape as number[];
      return tf.tidy(() => {
        const dy = wrap(inputs.dy!);
        const filter = wrap(inputs.filter!);
        const info = convInfo(inputShape, filter.shape, a.strides, a.pad, a.dilations, a.dimRoundingMode, true);
        return depthwiseInputGrad(dy, filter, info);
      });
    },
  },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs;
      const filterShape = a.filterShape as number[];
      return tf.tidy(() => {
        const x = wrap(inputs.x!);
        const dy = wrap(inputs.dy!);
        const info = convInfo(x.shape, filterShape, a.strides, a.pad, a.dilations, a.dimRoundingMode, true);
        return depthwiseFilterGrad(x, dy, filterShape, info);
      });
    },
  },
  {
    kernelName: tf.MaxPoolGrad,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs & { filterSize: [number, number] | number };
      return tf.tidy(() => {
        const dy = wrap(inputs.dy!);
        const x = wrap(inputs.input!);
        const y = wrap(inputs.output!);
        const info = tf.backend_util.computePool2DInfo(x.shape, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
        return maxPoolBackprop(dy, x, y, info);
      });
    },
  },
];

let registered = false;

/** Registers (or replaces) the wasm training kernels (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const k of kernels) {
    if (tf.getKernel(k.kernelName, 'wasm')) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  registered = true;
}
