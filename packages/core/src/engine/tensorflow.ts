/**
 * TensorFlow through tfjs-node (or tfjs-node-gpu), whose addon @seg/core's
 * postinstall builds (scripts/setup-tensorflow.mjs): loading it, and seg's
 * kernels on it. The engine's module, tensorflow-engine.ts, loads this.
 *
 * tfjs-node 4.22's convolution-backprop and pooling kernels accept only
 * 'valid' and 'same'; our layers use PyTorch-style numeric pads (and tfjs's
 * explicit ones). TensorFlow's own ops take EXPLICIT padding, so the kernels
 * below pass every padding through as TF padding attributes, never as a
 * padded copy. Convolution backprops also take dilations, which TensorFlow
 * computes natively (registered in dilated-backprop.ts, so gradients.ts
 * sends dilated backprops here instead of the composition the other
 * backends need).
 */
import { availableParallelism } from 'node:os';
import { tf } from './tf.js';
import { floatType, type NodeBackend, type OpAttr } from './tensorflow-backend.js';
import { fastPathKernels } from './tensorflow-fast-paths.js';
import { registerDilatedBackprop, type DilatedBackpropCheck } from './dilated-backprop.js';
import { withTensorflowLog } from './tensorflow-log.js';

export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = [number, number] | number;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface Geometry {
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
  effectiveFilterHeight: number;
  effectiveFilterWidth: number;
  filterHeight: number;
  filterWidth: number;
  inChannels: number;
  outChannels: number;
  padInfo: { top: number; bottom: number; left: number; right: number; type: string };
}

/** Pads [top, bottom, left, right] as TF will apply them (bottom/right grown where a ceil rounding mode asks for one more output than floor). */
function explicitPads(g: Geometry): [number, number, number, number] {
  const p = g.padInfo;
  const bottom = Math.max(p.bottom, (g.outHeight - 1) * g.strideHeight + g.effectiveFilterHeight - g.inHeight - p.top);
  const right = Math.max(p.right, (g.outWidth - 1) * g.strideWidth + g.effectiveFilterWidth - g.inWidth - p.left);
  return [p.top, bottom, p.left, right];
}

function sameAxis(inSize: number, stride: number, effK: number): [number, number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + effK - inSize, 0);
  return [out, Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * The TF padding mode of a tfjs geometry: VALID or SAME where the pads are
 * exactly those (a numeric pad of d on a 3x3 dilation-d conv is SAME), else
 * EXPLICIT. Canonical modes matter: TF's CPU conv backprops refuse
 * dilations with EXPLICIT padding but take them with SAME and VALID.
 */
export function tfPadding(g: Geometry): 'VALID' | 'SAME' | 'EXPLICIT' {
  const p = g.padInfo;
  if (p.type === 'VALID' || p.type === 'SAME') return p.type;
  const [top, bottom, left, right] = explicitPads(g);
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return 'VALID';
  const [oh, st, sb] = sameAxis(g.inHeight, g.strideHeight, g.effectiveFilterHeight);
  const [ow, sl, sr] = sameAxis(g.inWidth, g.strideWidth, g.effectiveFilterWidth);
  if (oh === g.outHeight && ow === g.outWidth && st === top && sb === bottom && sl === left && sr === right) return 'SAME';
  return 'EXPLICIT';
}

function paddingAttrs(b: NodeBackend, g: Geometry): OpAttr[] {
  const mode = tfPadding(g);
  if (mode !== 'EXPLICIT') return [{ name: 'padding', type: b.binding.TF_ATTR_STRING, value: mode }];
  const [top, bottom, left, right] = explicitPads(g);
  return [
    { name: 'padding', type: b.binding.TF_ATTR_STRING, value: 'EXPLICIT' },
    { name: 'explicit_paddings', type: b.binding.TF_ATTR_INT, value: [0, 0, top, bottom, left, right, 0, 0] },
  ];
}

function convAttrs(b: NodeBackend, g: Geometry): OpAttr[] {
  return [
    floatType(b),
    { name: 'strides', type: b.binding.TF_ATTR_INT, value: [1, g.strideHeight, g.strideWidth, 1] },
    ...paddingAttrs(b, g),
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'dilations', type: b.binding.TF_ATTR_INT, value: [1, g.dilationHeight, g.dilationWidth, 1] },
  ];
}

function poolAttrs(b: NodeBackend, g: Geometry & { filterHeight: number; filterWidth: number }): OpAttr[] {
  return [
    floatType(b),
    { name: 'ksize', type: b.binding.TF_ATTR_INT, value: [1, g.filterHeight, g.filterWidth, 1] },
    { name: 'strides', type: b.binding.TF_ATTR_INT, value: [1, g.strideHeight, g.strideWidth, 1] },
    ...paddingAttrs(b, g),
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
  ];
}

interface ConvKernelAttrs {
  strides: Pair;
  pad: Pad;
  activation?: string;
  leakyreluAlpha?: number;
  dilations?: Pair;
  dimRoundingMode?: Rounding;
  dataFormat?: string;
  inputShape?: number[];
  filterShape?: number[];
  filterSize?: Pair;
}

function nhwc(kernel: string, a: ConvKernelAttrs): void {
  if (a.dataFormat === 'NCHW') throw new Error(`${kernel} on tensorflow: seg layers are NHWC; got NCHW.`);
}

function conv2dInfo(xShape: number[], filterShape: number[], a: ConvKernelAttrs, depthwise: boolean): Geometry {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
  ) as unknown as Geometry;
}

/** A kernel that runs one TF op: fn gets the backend and returns its output tensor. */
function kernel(kernelName: string, fn: (b: NodeBackend, inputs: tf.NamedTensorInfoMap, a: ConvKernelAttrs) => tf.Tensor): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const a = attrs as unknown as ConvKernelAttrs;
      nhwc(kernelName, a);
      return fn(backend as unknown as NodeBackend, inputs, a) as unknown as tf.TensorInfo;
    },
  };
}

/** An int32 shape tensor for the *Backprop* ops' size inputs, freed after the op. */
function withSizes(shape: number[], fn: (sizes: tf.Tensor) => tf.Tensor): tf.Tensor {
  const sizes = tf.tensor1d(shape, 'int32');
  try {
    return fn(sizes);
  } finally {
    sizes.dispose();
  }
}

/**
 * 1x1 convolutions without padding run as matrix products. oneDNN's 1x1
 * convolution (brgemm) sizes its blocks from the CPU's cache sizes and
 * divides by zero where the machine reports none (seen on a 2-core AMD EPYC
 * VM: ResNet-50's 256->1024 1x1 killed the process with SIGFPE); its matrix
 * product does not, and is as fast here.
 */
function isPointwise(g: Geometry): boolean {
  const pads = explicitPads(g);
  return g.filterHeight === 1 && g.filterWidth === 1 && pads.every((p) => p === 0);
}

/** x at the 1x1 convolution's sample positions, as [N * Ho * Wo, C]. */
function sampled(x: tf.Tensor4D, g: Geometry): tf.Tensor2D {
  const [n, , , c] = x.shape;
  const s = g.strideHeight === 1 && g.strideWidth === 1 ? x : tf.stridedSlice(x, [0, 0, 0, 0], [n, g.outHeight * g.strideHeight, g.outWidth * g.strideWidth, c], [1, g.strideHeight, g.strideWidth, 1]);
  return tf.reshape(s, [-1, c]);
}

const pointwise = {
  forward: (x: tf.Tensor4D, filter: tf.Tensor4D, g: Geometry) =>
    tf.tidy(() => tf.reshape(tf.matMul(sampled(x, g), tf.reshape(filter, [g.inChannels, g.outChannels])), [x.shape[0], g.outHeight, g.outWidth, g.outChannels])),
  backpropInput: (dy: tf.Tensor4D, filter: tf.Tensor4D, g: Geometry) =>
    tf.tidy(() => {
      const [n, ho, wo] = dy.shape;
      const d = tf.reshape(tf.matMul(tf.reshape(dy, [-1, g.outChannels]), tf.reshape(filter, [g.inChannels, g.outChannels]), false, true), [n, ho, wo, g.inChannels]);
      if (g.strideHeight === 1 && g.strideWidth === 1) return d;
      // Zeros between the sampled positions: interleave, then cut to the input's size.
      const [sh, sw] = [g.strideHeight, g.strideWidth];
      const spread = tf.pad(tf.reshape(d, [n, ho, 1, wo, 1, g.inChannels]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
      return tf.slice(tf.reshape(spread, [n, ho * sh, wo * sw, g.inChannels]), [0, 0, 0, 0], [n, g.inHeight, g.inWidth, g.inChannels]);
    }),
  backpropFilter: (x: tf.Tensor4D, dy: tf.Tensor4D, g: Geometry) =>
    tf.tidy(() => tf.reshape(tf.matMul(sampled(x, g), tf.reshape(dy, [-1, g.outChannels]), true, false), [1, 1, g.inChannels, g.outChannels])),
};

/**
 * oneDNN (TF 2.21) runs some convolutions, SegNet-Basic's 7x7 64->64 among
 * them, as im2col + GEMM, and one whose im2col copy of an image passes about
 * 1 GiB never returns (7x7x64 at 260x340; at 240x320, 963 MB, it takes 2 s).
 * Such a convolution runs in bands of output rows, each a VALID convolution
 * of its rows of the input padded once: the same sums, each band's copy
 * under the limit. The backprops have no such copy and run whole.
 */
let im2colBandBytes = 900 * 2 ** 20;

/** Sets the im2col size past which a convolution runs in bands (tests make it small); returns the previous one. */
export function setIm2colBandBytes(bytes: number): number {
  const previous = im2colBandBytes;
  im2colBandBytes = bytes;
  return previous;
}

/** TF's Conv2D for geometry `g`, in bands of output rows when an image's im2col copy would pass the limit. */
function conv2dBanded(b: NodeBackend, x: tf.Tensor4D, filter: tf.Tensor4D, g: Geometry): tf.Tensor4D {
  const limit = im2colBandBytes;
  const rowBytes = g.outWidth * g.filterHeight * g.filterWidth * g.inChannels * 4;
  if (rowBytes * g.outHeight <= limit) return b.executeSingleOutput('Conv2D', convAttrs(b, g), [x, filter]) as tf.Tensor4D;
  const rows = Math.max(1, Math.floor(limit / rowBytes));
  return tf.tidy(() => {
    const [top, bottom, left, right] = explicitPads(g);
    const padded = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    const bands: tf.Tensor4D[] = [];
    for (let r0 = 0; r0 < g.outHeight; r0 += rows) {
      const n = Math.min(rows, g.outHeight - r0);
      const slice = tf.slice(padded, [0, r0 * g.strideHeight, 0, 0], [-1, (n - 1) * g.strideHeight + g.effectiveFilterHeight, -1, -1]);
      const band = conv2dInfo(slice.shape, filter.shape, { strides: [g.strideHeight, g.strideWidth], pad: 'valid', dilations: [g.dilationHeight, g.dilationWidth] }, false);
      bands.push(b.executeSingleOutput('Conv2D', convAttrs(b, band), [slice, filter]) as tf.Tensor4D);
    }
    return tf.concat(bands, 1);
  });
}

const dilationSupport = new Map<string, boolean>();

/**
 * Whether this TensorFlow's kernel for `op` takes dilations. oneDNN's do;
 * TensorFlow's own CPU kernels refuse them for the depthwise forward and
 * for Conv2D's backprops, and TensorFlow turns oneDNN on only on some CPUs
 * (with AVX-512 VNNI or newer), so one install differs between machines.
 * Probed once per op, on a 3x3 input.
 */
function takesDilations(b: NodeBackend, op: 'DepthwiseConv2dNative' | 'Conv2DBackpropInput'): boolean {
  let ok = dilationSupport.get(op);
  if (ok === undefined) {
    try {
      tf.tidy(() => {
        const g = conv2dInfo([1, 3, 3, 1], [3, 3, 1, 1], { strides: 1, pad: 'same', dilations: 2 }, op === 'DepthwiseConv2dNative');
        const zeros = tf.zeros([1, 3, 3, 1]);
        const inputs = op === 'DepthwiseConv2dNative' ? [zeros, tf.zeros([3, 3, 1, 1])] : [tf.tensor1d([1, 3, 3, 1], 'int32'), tf.zeros([3, 3, 1, 1]), zeros];
        b.executeSingleOutput(op, convAttrs(b, g), inputs);
      });
      ok = true;
    } catch {
      ok = false;
    }
    dilationSupport.set(op, ok);
  }
  return ok;
}

/**
 * A dilated depthwise convolution where TensorFlow's kernel takes no
 * dilations, computed as TensorFlow's own atrous convolution does: the
 * padded input split by space-to-batch into d x d interleaved images, an
 * undilated VALID depthwise convolution of each, and batch-to-space back
 * (tfjs allows dilations only at stride 1).
 */
function atrousDepthwise(x: tf.Tensor4D, filter: tf.Tensor4D, g: Geometry): tf.Tensor {
  const [top, bottom, left, right] = explicitPads(g);
  const [dh, dw] = [g.dilationHeight, g.dilationWidth];
  // grow the padded input to multiples of the dilation; the extra outputs are cropped
  const eh = (dh - ((g.inHeight + top + bottom) % dh)) % dh;
  const ew = (dw - ((g.inWidth + left + right) % dw)) % dw;
  return tf.tidy(() => {
    const padded = tf.pad(x, [[0, 0], [top, bottom + eh], [left, right + ew], [0, 0]]);
    const split = tf.spaceToBatchND(padded, [dh, dw], [[0, 0], [0, 0]]);
    const y = tf.depthwiseConv2d(split as tf.Tensor4D, filter, 1, 'valid');
    return tf.batchToSpaceND(y, [dh, dw], [[0, eh], [0, ew]]);
  });
}

/** tfjs-node's activation step of its fused kernels. */
interface FusedBackend {
  applyActivation(input: tf.Tensor, activation: string, preluActivationWeights?: tf.Tensor, leakyreluAlpha?: number): tf.Tensor;
}

const kernels: tf.KernelConfig[] = [
  kernel(tf.Conv2D, (b, { x, filter }, a) => {
    const g = conv2dInfo(x!.shape, filter!.shape, a, false);
    if (isPointwise(g)) return pointwise.forward(x as tf.Tensor4D, filter as tf.Tensor4D, g);
    return conv2dBanded(b, x as tf.Tensor4D, filter as tf.Tensor4D, g);
  }),
  // tfjs-layers' Conv2D with a bias runs this op; tfjs-node's own kernel calls TF's Conv2D directly.
  kernel(tf.FusedConv2D, (b, { x, filter, bias, preluActivationWeights }, a) => {
    const g = conv2dInfo(x!.shape, filter!.shape, a, false);
    let y: tf.Tensor = isPointwise(g) ? pointwise.forward(x as tf.Tensor4D, filter as tf.Tensor4D, g) : conv2dBanded(b, x as tf.Tensor4D, filter as tf.Tensor4D, g);
    if (bias) {
      const biased = tf.add(y, bias as tf.Tensor);
      y.dispose();
      y = biased;
    }
    const out = (b as unknown as FusedBackend).applyActivation(y, a.activation ?? 'linear', preluActivationWeights as tf.Tensor | undefined, a.leakyreluAlpha);
    if (out !== y) y.dispose();
    return out;
  }),
  kernel(tf.Conv2DBackpropInput, (b, { dy, filter }, a) => {
    const g = conv2dInfo(a.inputShape!, filter!.shape, a, false);
    if (isPointwise(g)) return pointwise.backpropInput(dy as tf.Tensor4D, filter as tf.Tensor4D, g);
    return withSizes(a.inputShape!, (sizes) => b.executeSingleOutput('Conv2DBackpropInput', convAttrs(b, g), [sizes, filter!, dy!]));
  }),
  kernel(tf.Conv2DBackpropFilter, (b, { x, dy }, a) => {
    const g = conv2dInfo(x!.shape, a.filterShape!, a, false);
    if (isPointwise(g)) return pointwise.backpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, g);
    return withSizes(a.filterShape!, (sizes) => b.executeSingleOutput('Conv2DBackpropFilter', convAttrs(b, g), [x!, sizes, dy!]));
  }),
  kernel(tf.DepthwiseConv2dNative, (b, { x, filter }, a) => {
    const g = conv2dInfo(x!.shape, filter!.shape, a, true);
    if ((g.dilationHeight > 1 || g.dilationWidth > 1) && !takesDilations(b, 'DepthwiseConv2dNative')) return atrousDepthwise(x as tf.Tensor4D, filter as tf.Tensor4D, g);
    return b.executeSingleOutput('DepthwiseConv2dNative', convAttrs(b, g), [x!, filter!]);
  }),
  kernel(tf.DepthwiseConv2dNativeBackpropInput, (b, { dy, filter }, a) => {
    const g = conv2dInfo(a.inputShape!, filter!.shape, a, true);
    return withSizes(a.inputShape!, (sizes) => b.executeSingleOutput('DepthwiseConv2dNativeBackpropInput', convAttrs(b, g), [sizes, filter!, dy!]));
  }),
  kernel(tf.DepthwiseConv2dNativeBackpropFilter, (b, { x, dy }, a) => {
    const g = conv2dInfo(x!.shape, a.filterShape!, a, true);
    return withSizes(a.filterShape!, (sizes) => b.executeSingleOutput('DepthwiseConv2dNativeBackpropFilter', convAttrs(b, g), [x!, sizes, dy!]));
  }),
  kernel(tf.MaxPool, (b, { x }, a) => {
    const g = tf.backend_util.computePool2DInfo(x!.shape as [number, number, number, number], a.filterSize!, a.strides, 1, a.pad, a.dimRoundingMode);
    return b.executeSingleOutput('MaxPool', poolAttrs(b, g as unknown as Geometry & { filterHeight: number; filterWidth: number }), [x!]);
  }),
  kernel(tf.MaxPoolGrad, (b, { dy, input, output }, a) => {
    const g = tf.backend_util.computePool2DInfo(input!.shape as [number, number, number, number], a.filterSize!, a.strides, 1, a.pad, a.dimRoundingMode);
    return b.executeSingleOutput('MaxPoolGrad', poolAttrs(b, g as unknown as Geometry & { filterHeight: number; filterWidth: number }), [input!, output!, dy!]);
  }),
];

export interface TensorflowInfo {
  provider: string;
  version: string;
  threads: number;
  gpu: boolean;
}

/**
 * Loads tfjs-node-gpu or tfjs-node, whichever is installed and built (GPU
 * first), and registers the kernels above over the ones it registers as it
 * loads, and seg's fast paths. (The caller registers seg's gradients again
 * afterwards: loading tfjs-node re-registers tfjs-core's.) Returns undefined
 * when neither is installed; throws with the reason when one is installed
 * but broken.
 */
export async function loadTensorflow(threads?: number): Promise<TensorflowInfo | undefined> {
  // TensorFlow reads these when the library loads, not later; a level the user set stands.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  if (threads) process.env.TF_NUM_INTRAOP_THREADS = String(threads);
  let provider: string | undefined;
  const failures: string[] = [];
  await withTensorflowLog(async () => {
    for (const pkg of TENSORFLOW_PACKAGES) {
      try {
        await import(pkg);
        provider = pkg;
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') failures.push(`${pkg}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  });
  if (!provider) {
    if (failures.length) throw new Error(`the tensorflow engine is installed but does not load (${failures.join('; ')}); see node_modules/.cache/seg-tensorflow/setup.log`);
    return undefined;
  }
  for (const k of [...kernels, ...fastPathKernels]) {
    if (tf.getKernel(k.kernelName, 'tensorflow')) tf.unregisterKernel(k.kernelName, 'tensorflow');
    tf.registerKernel(k);
  }
  registerDilatedBackprop('tensorflow', backpropTakesDilations);
  await tf.setBackend('tensorflow');
  await tf.ready();
  const b = tf.backend() as unknown as NodeBackend;
  const envThreads = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return {
    provider,
    version: b.binding.TF_Version,
    threads: Number.isInteger(envThreads) && envThreads > 0 ? envThreads : availableParallelism(),
    gpu: Boolean(b.isUsingGpuDevice),
  };
}

/**
 * Whether TensorFlow's own backprop kernels compute this dilated
 * convolution's gradients: Conv2D's, when its padding is VALID or SAME
 * (TF's CPU kernels refuse dilations with EXPLICIT pads); never the
 * depthwise ones (TF's CPU kernels return wrong values for
 * dilations > 1: measured, max error 6.8 on a 12x11x4 input with SAME).
 * Those go to conv-grad.ts's compositions, which on tensorflow are made of
 * TF's own forward convolutions; seg says so once.
 */
const backpropTakesDilations: DilatedBackpropCheck = (depthwise, xShape, filterShape, strides, pad, dilations, dimRoundingMode) => {
  if (!depthwise) {
    const g = conv2dInfo(xShape, filterShape, { strides, pad, dilations, dimRoundingMode }, false);
    if (tfPadding(g) === 'EXPLICIT') noteComposite('dilated convolutions with padding other than VALID or SAME');
    else if (!takesDilations(tf.backend() as unknown as NodeBackend, 'Conv2DBackpropInput')) noteComposite('dilated convolutions (this TensorFlow runs without oneDNN, and its CPU kernels refuse dilations)');
    else return true;
    return false;
  }
  noteComposite('dilated depthwise convolutions (TensorFlow\'s CPU kernels are wrong for them)');
  return false;
};

const noted = new Set<string>();

/** One stderr line per kind of composite gradient, the first time it runs on tensorflow. */
function noteComposite(what: string): void {
  if (noted.has(what)) return;
  noted.add(what);
  process.stderr.write(`seg: on tensorflow, the gradients of ${what} are composed of TensorFlow's forward ops.\n`);
}
