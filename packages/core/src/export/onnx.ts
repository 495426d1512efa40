/**
 * ONNX export of a tfjs layers model (opset 13), for onnxruntime and other
 * ONNX runtimes. The graph is NCHW like a PyTorch export: input "input"
 * [N, C, H, W] float32, output "logits" [N, classes, H', W'], at one fixed
 * size; the NHWC -> NCHW change is made in the weights, not by transposes.
 *
 * Each layer class maps to ONNX nodes through an exporter; architecture
 * packages register exporters for their own layers (registerOnnxExporter).
 * Conv-BN layers are exported with the batch norm folded into the
 * convolution (inference statistics), dropout as nothing.
 */
import type { tfl } from '../engine/tf.js';
import { adaptiveBins } from '../layers/pooling.js';
import { CAFFE_BGR_MEAN, TORCHVISION_MEAN, TORCHVISION_STD } from '../layers/imagenet-input.js';
import { OnnxGraph, OPSET } from './onnx-graph.js';
import { withoutAuxiliary } from '../models/auxiliary.js';

export interface LayerExport {
  g: OnnxGraph;
  layer: tfl.layers.Layer;
  /** The layer's input tensors in the graph (NCHW). */
  inputs: string[];
  /** NHWC shapes, at the export size, of the layer's inputs and outputs. */
  inputShapes: number[][];
  outputShapes: number[][];
}

/** Emits a layer's nodes and returns the names of its outputs. */
export type LayerExporter = (x: LayerExport) => string[];

const exporters = new Map<string, LayerExporter>();

export function registerOnnxExporter(className: string, exporter: LayerExporter): void {
  exporters.set(className, exporter);
}

export interface OnnxExportOptions {
  /** Input [height, width]; the model's own when it has a fixed size. */
  size?: [number, number];
  batch?: number;
  /** Stored as the producer version. */
  version?: string;
}

export interface OnnxExport {
  bytes: Uint8Array;
  opset: number;
  inputs: { name: string; shape: number[]; layout: 'NCHW' }[];
  outputs: { name: string; shape: number[]; layout: 'NCHW' }[];
}

/** The model as an ONNX graph at one input size; auxiliary heads (training only) are left out. */
export function exportOnnx(trained: tfl.LayersModel, o: OnnxExportOptions = {}): OnnxExport {
  const model = withoutAuxiliary(trained);
  if (model.inputs.length !== 1) throw new Error(`ONNX export takes models with one input (${model.name} has ${model.inputs.length}).`);
  const [, mh, mw, channels] = model.inputs[0]!.shape;
  const h = o.size?.[0] ?? mh;
  const w = o.size?.[1] ?? mw;
  if (h == null || w == null) throw new Error(`${model.name} takes any input size: give the export size (--size HxW).`);
  if ((mh != null && mh !== h) || (mw != null && mw !== w)) throw new Error(`${model.name} takes exactly ${mh}x${mw} inputs, not ${h}x${w}.`);
  const n = o.batch ?? 1;
  const g = new OnnxGraph();
  const tensors = new Map<string, { name: string; shape: number[] }>();
  const key = (layer: tfl.layers.Layer, index: number) => `${layer.name}#${index}`;

  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') {
      g.input('input', [n, channels!, h, w]);
      tensors.set(key(layer, 0), { name: 'input', shape: [n, h, w, channels!] });
      continue;
    }
    if (layer.inboundNodes.length !== 1) throw new Error(`ONNX export: layer ${layer.name} is used ${layer.inboundNodes.length} times; shared layers are not supported.`);
    const node = layer.inboundNodes[0]!;
    const ins = node.inboundLayers.map((l, i) => {
      const t = tensors.get(key(l, node.tensorIndices[i]!));
      if (!t) throw new Error(`ONNX export: layer ${layer.name} reads ${l.name}, which is not exported yet.`);
      return t;
    });
    const inputShapes = ins.map((t) => t.shape);
    const computed = layer.computeOutputShape((inputShapes.length === 1 ? inputShapes[0] : inputShapes) as tfl.Shape);
    const outputShapes = (Array.isArray(computed[0]) ? computed : [computed]) as number[][];
    const exporter = exporters.get(className);
    if (!exporter) throw new Error(`ONNX export: layer ${layer.name} (${className}) has no ONNX conversion.`);
    const outs = exporter({ g, layer, inputs: ins.map((t) => t.name), inputShapes, outputShapes });
    outs.forEach((name, i) => tensors.set(key(layer, i), { name, shape: outputShapes[i]! }));
  }

  const outputs = model.outputLayers.map((layer, i) => {
    const t = tensors.get(key(layer, model.outputLayersTensorIndices[i]!))!;
    const [on, oh, ow, oc] = t.shape as [number, number, number, number];
    const name = i === 0 ? 'logits' : `output_${i}`;
    g.node('Identity', [t.name], name);
    const shape = [on, oc, oh, ow];
    g.output(name, shape);
    return { name, shape, layout: 'NCHW' as const };
  });
  return {
    bytes: g.encode(model.name, o.version ?? '0.1.0'),
    opset: OPSET,
    inputs: [{ name: 'input', shape: [n, channels!, h, w], layout: 'NCHW' }],
    outputs,
  };
}

// ---------------------------------------------------------------------------
// Weights and geometry

/** A layer weight's values by its short name ("kernel", "bias", "gamma", ...). */
export function weightData(layer: tfl.layers.Layer, short: string): Float32Array | undefined {
  const v = layer.weights.find((w) => w.originalName.split('/').pop() === short);
  return v ? (v.read().dataSync() as Float32Array) : undefined;
}

/** [KH, KW, Ci, Co] (tfjs) -> [Co, Ci, KH, KW] (ONNX). */
export function hwioToOihw(k: Float32Array, kh: number, kw: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

/** TensorFlow's "same" padding of one axis: [before, after]. */
export function samePads(len: number, k: number, stride: number, dilation = 1): [number, number] {
  const eff = (k - 1) * dilation + 1;
  const total = Math.max((Math.ceil(len / stride) - 1) * stride + eff - len, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** ONNX pads [top, left, bottom, right] for 'same', 'valid' or a symmetric pixel count. */
function pads(padding: 'same' | 'valid' | number, [h, w]: number[], k: [number, number], s: [number, number], d: [number, number]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  const [t, b] = samePads(h, k[0], s[0], d[0]);
  const [l, r] = samePads(w, k[1], s[1], d[1]);
  return [t, l, b, r];
}

interface ConvGeometry {
  kernelSize: [number, number];
  strides: [number, number];
  dilationRate: [number, number];
  padding: 'same' | 'valid' | number;
}

function convNode(x: LayerExport, weights: Float32Array, bias: Float32Array | undefined, co: number, group: number): string {
  const { g, layer, inputShapes } = x;
  const c = layer as unknown as ConvGeometry;
  const [, h, w, ci] = inputShapes[0]!;
  const [kh, kw] = c.kernelSize;
  const W = g.floats(`${layer.name}_W`, weights, [co, ci! / group, kh, kw]);
  const inputs = [x.inputs[0]!, W];
  if (bias) inputs.push(g.floats(`${layer.name}_B`, bias, [co]));
  return g.node('Conv', inputs, layer.name, {
    kernel_shape: [kh, kw],
    strides: c.strides,
    dilations: c.dilationRate,
    pads: pads(c.padding, [h!, w!], c.kernelSize, c.strides, c.dilationRate),
    group,
  })[0]!;
}

const identity: LayerExporter = (x) => [x.inputs[0]!];

// ---------------------------------------------------------------------------
// Our layers (layers/*.ts)

registerOnnxExporter('SegConv2D', (x) => {
  const layer = x.layer as unknown as ConvGeometry & { filters: number };
  const [kh, kw] = layer.kernelSize;
  const ci = x.inputShapes[0]![3]!;
  return [convNode(x, hwioToOihw(weightData(x.layer, 'kernel')!, kh, kw, ci, layer.filters), weightData(x.layer, 'bias'), layer.filters, 1)];
});

registerOnnxExporter('SegDepthwiseConv2D', (x) => {
  const layer = x.layer as unknown as ConvGeometry & { depthMultiplier: number };
  const [kh, kw] = layer.kernelSize;
  const c = x.inputShapes[0]![3]!;
  const m = layer.depthMultiplier;
  const k = weightData(x.layer, 'depthwise_kernel')!;
  // [KH, KW, C, M] -> [C * M, 1, KH, KW]: output channel c * M + j, as tfjs orders them.
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let cc = 0; cc < c; cc++) for (let j = 0; j < m; j++) out[((cc * m + j) * kh + y) * kw + xx] = k[((y * kw + xx) * c + cc) * m + j]!;
  return [convNode(x, out, weightData(x.layer, 'bias'), c * m, c)];
});

registerOnnxExporter('SegConvBn', (x) => {
  const layer = x.layer as unknown as ConvGeometry & { filters: number; relu: boolean; epsilon: number; useBias?: boolean };
  const [kh, kw] = layer.kernelSize;
  const ci = x.inputShapes[0]![3]!;
  const co = layer.filters;
  const w = hwioToOihw(weightData(x.layer, 'kernel')!, kh, kw, ci, co);
  const gamma = weightData(x.layer, 'gamma')!;
  const beta = weightData(x.layer, 'beta')!;
  const mean = weightData(x.layer, 'moving_mean')!;
  const variance = weightData(x.layer, 'moving_variance')!;
  const convBias = layer.useBias ? weightData(x.layer, 'bias')! : new Float32Array(co);
  // Inference batch norm folded into the convolution: w' = w s, b' = beta + (b - mean) s, s = gamma / sqrt(var + eps).
  const bias = new Float32Array(co);
  const per = ci * kh * kw;
  for (let o = 0; o < co; o++) {
    const s = gamma[o]! / Math.sqrt(variance[o]! + layer.epsilon);
    for (let i = 0; i < per; i++) w[o * per + i]! *= s;
    bias[o] = beta[o]! + (convBias[o]! - mean[o]!) * s;
  }
  const y = convNode(x, w, bias, co, 1);
  return [layer.relu ? x.g.node('Relu', [y], `${x.layer.name}_relu`)[0]! : y];
});

registerOnnxExporter('SegCaffeImageNetInput', (x) => {
  // RGB [0, 1] -> BGR 0..255 minus the mean, as one 1x1 convolution: out_c = 255 x_(2-c) - mean_c.
  const w = new Float32Array(9);
  for (let c = 0; c < 3; c++) w[c * 3 + (2 - c)] = 255;
  const { g, layer } = x;
  const W = g.floats(`${layer.name}_W`, w, [3, 3, 1, 1]);
  const B = g.floats(`${layer.name}_B`, Float32Array.from(CAFFE_BGR_MEAN, (m) => -m), [3]);
  return g.node('Conv', [x.inputs[0]!, W, B], layer.name, { kernel_shape: [1, 1] });
});

registerOnnxExporter('SegImageNetNormalize', (x) => {
  // (x - mean) / std per channel, as one 1x1 convolution: weight 1/std on the diagonal, bias -mean/std.
  const w = new Float32Array(9);
  for (let c = 0; c < 3; c++) w[c * 3 + c] = 1 / TORCHVISION_STD[c]!;
  const { g, layer } = x;
  const W = g.floats(`${layer.name}_W`, w, [3, 3, 1, 1]);
  const B = g.floats(`${layer.name}_B`, Float32Array.from(TORCHVISION_MEAN, (m, c) => -m / TORCHVISION_STD[c]!), [3]);
  return g.node('Conv', [x.inputs[0]!, W, B], layer.name, { kernel_shape: [1, 1] });
});

registerOnnxExporter('ZeroPadding2D', (x) => {
  const p = (x.layer.getConfig() as { padding: [[number, number], [number, number]] }).padding;
  const pads = x.g.int64s(`${x.layer.name}_pads`, [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]]);
  return x.g.node('Pad', [x.inputs[0]!, pads], x.layer.name);
});

registerOnnxExporter('SegCenterCrop', (x) => {
  const [, h, w] = x.inputShapes[0]!;
  const [, th, tw] = x.outputShapes[0]!;
  const top = Math.floor((h! - th!) / 2);
  const left = Math.floor((w! - tw!) / 2);
  const { g, layer } = x;
  return g.node('Slice', [x.inputs[0]!, g.int64s(`${layer.name}_starts`, [top, left]), g.int64s(`${layer.name}_ends`, [top + th!, left + tw!]), g.int64s(`${layer.name}_axes`, [2, 3])], layer.name);
});

registerOnnxExporter('SegResizeBilinear', (x) => {
  const [n, h, w, c] = x.inputShapes[0]!;
  const [, oh, ow] = x.outputShapes[0]!;
  if (oh === h && ow === w) return [x.inputs[0]!];
  const layer = x.layer as unknown as { alignCorners: boolean };
  const sizes = x.g.int64s(`${x.layer.name}_sizes`, [n!, c!, oh!, ow!]);
  return x.g.node('Resize', [x.inputs[0]!, '', '', sizes], x.layer.name, {
    mode: 'linear',
    coordinate_transformation_mode: layer.alignCorners ? 'align_corners' : 'half_pixel',
  });
});

registerOnnxExporter('SegLRN', (x) => {
  const l = x.layer as unknown as { size: number; alpha: number; beta: number; k: number };
  // ONNX's LRN is Caffe's: alpha is divided by size.
  return x.g.node('LRN', [x.inputs[0]!], x.layer.name, { size: l.size, alpha: { float: l.alpha }, beta: { float: l.beta }, bias: { float: l.k } });
});

registerOnnxExporter('SegAdaptiveAvgPool2D', (x) => {
  const [, h, w] = x.inputShapes[0]!;
  const bins = (x.layer as unknown as { bins: number }).bins;
  const { g, layer } = x;
  if (bins === 1) return g.node('GlobalAveragePool', [x.inputs[0]!], layer.name);
  // Averages over PyTorch's (possibly overlapping) bins as two matrix products:
  // X [N, C, H, W] . Pw [W, bins], then Ph [bins, H] . (that).
  const matrix = (len: number, transposed: boolean) => {
    const m = new Float32Array(len * bins);
    adaptiveBins(len, bins).forEach(([a, b], j) => {
      for (let i = a; i < b; i++) m[transposed ? j * len + i : i * bins + j] = 1 / (b - a);
    });
    return m;
  };
  const pw = g.floats(`${layer.name}_Pw`, matrix(w!, false), [w!, bins]);
  const ph = g.floats(`${layer.name}_Ph`, matrix(h!, true), [bins, h!]);
  const cols = g.node('MatMul', [x.inputs[0]!, pw], `${layer.name}_cols`)[0]!;
  return g.node('MatMul', [ph, cols], layer.name);
});

registerOnnxExporter('SegAdaptiveMaxPool2D', (x) => {
  const [, h, w] = x.inputShapes[0]!;
  const bins = (x.layer as unknown as { bins: number }).bins;
  const { g, layer } = x;
  if (bins === 1) return g.node('GlobalMaxPool', [x.inputs[0]!], layer.name);
  // One ReduceMax per (possibly overlapping) bin, concatenated along W, then H.
  const axes = g.int64s(`${layer.name}_axes`, [2, 3]);
  const rows = adaptiveBins(h!, bins).map(([r0, r1], i) => {
    const cells = adaptiveBins(w!, bins).map(([c0, c1], j) => {
      const starts = g.int64s(`${layer.name}_s${i}_${j}`, [r0, c0]);
      const ends = g.int64s(`${layer.name}_e${i}_${j}`, [r1, c1]);
      const cell = g.node('Slice', [x.inputs[0]!, starts, ends, axes], `${layer.name}_slice${i}_${j}`)[0]!;
      return g.node('ReduceMax', [cell], `${layer.name}_max${i}_${j}`, { axes: [2, 3], keepdims: 1 })[0]!;
    });
    return g.node('Concat', cells, `${layer.name}_row${i}`, { axis: 3 })[0]!;
  });
  return g.node('Concat', rows, layer.name, { axis: 2 });
});

registerOnnxExporter('SegMaxPoolWithArgmax', (x) => {
  const { poolSize: k, ceil } = x.layer as unknown as { poolSize: number; ceil?: boolean };
  const [, h, w] = x.inputShapes[0]!;
  const [ph, pw] = ceil ? [Math.ceil(h! / k) * k - h!, Math.ceil(w! / k) * k - w!] : [0, 0];
  let input = x.inputs[0]!;
  if (ph || pw) {
    // Rounding up as a pad with the lowest float, which never wins a window: the indices
    // then address the padded map, which MaxUnpool below restores before cropping.
    const pads = x.g.int64s(`${x.layer.name}_pads`, [0, 0, 0, 0, 0, 0, ph, pw]);
    const low = x.g.floats(`${x.layer.name}_low`, Float32Array.of(-3.4028234663852886e38), []);
    input = x.g.node('Pad', [input, pads, low], `${x.layer.name}_pad`)[0]!;
  }
  // ONNX's indices address the NCHW input; MaxUnpool below reads them as such.
  return x.g.node('MaxPool', [input], x.layer.name, { kernel_shape: [k, k], strides: [k, k] }, 2);
});

registerOnnxExporter('SegMaxUnpool', (x) => {
  const k = (x.layer as unknown as { poolSize: number }).poolSize;
  const [n, oh, ow, c] = x.outputShapes[0]!;
  const [, h, w] = x.inputShapes[0]!;
  const [uh, uw] = [h! * k, w! * k];
  if (uh <= oh! && uw <= ow!) {
    const shape = x.g.int64s(`${x.layer.name}_shape`, [n!, c!, oh!, ow!]);
    return x.g.node('MaxUnpool', [x.inputs[0]!, x.inputs[1]!, shape], x.layer.name, { kernel_shape: [k, k], strides: [k, k] });
  }
  // After rounding-up pooling the indices address the padded map: unpool to it, then crop.
  const shape = x.g.int64s(`${x.layer.name}_shape`, [n!, c!, uh, uw]);
  const full = x.g.node('MaxUnpool', [x.inputs[0]!, x.inputs[1]!, shape], `${x.layer.name}_padded`, { kernel_shape: [k, k], strides: [k, k] })[0]!;
  const { g, layer } = x;
  return g.node('Slice', [full, g.int64s(`${layer.name}_starts`, [0, 0]), g.int64s(`${layer.name}_ends`, [oh!, ow!]), g.int64s(`${layer.name}_axes`, [2, 3])], layer.name);
});

// ---------------------------------------------------------------------------
// tfjs-layers' own layers

registerOnnxExporter('Dropout', identity);
registerOnnxExporter('SegDropout', identity);

registerOnnxExporter('ReLU', (x) => {
  const max = (x.layer.getConfig() as { maxValue?: number | null }).maxValue;
  if (max != null) throw new Error(`ONNX export: ${x.layer.name} is a capped ReLU, which has no conversion yet.`);
  return x.g.node('Relu', [x.inputs[0]!], x.layer.name);
});

registerOnnxExporter('Activation', (x) => {
  const a = (x.layer.getConfig() as { activation: string }).activation;
  if (a === 'linear') return [x.inputs[0]!];
  if (a === 'relu') return x.g.node('Relu', [x.inputs[0]!], x.layer.name);
  if (a === 'sigmoid') return x.g.node('Sigmoid', [x.inputs[0]!], x.layer.name);
  if (a === 'softmax') return x.g.node('Softmax', [x.inputs[0]!], x.layer.name, { axis: 1 });
  throw new Error(`ONNX export: ${x.layer.name} has activation ${a}, which has no conversion.`);
});

registerOnnxExporter('Add', (x) => {
  let y = x.inputs[0]!;
  for (let i = 1; i < x.inputs.length; i++) y = x.g.node('Add', [y, x.inputs[i]!], i === x.inputs.length - 1 ? x.layer.name : `${x.layer.name}_${i}`)[0]!;
  return [y];
});

registerOnnxExporter('Concatenate', (x) => {
  const axis = (x.layer.getConfig() as { axis: number }).axis;
  const nhwc = axis < 0 ? axis + 4 : axis;
  return x.g.node('Concat', x.inputs, x.layer.name, { axis: [0, 2, 3, 1][nhwc]! });
});

function poolExporter(op: 'MaxPool' | 'AveragePool'): LayerExporter {
  return (x) => {
    const c = x.layer.getConfig() as { poolSize: [number, number]; strides: [number, number]; padding: 'same' | 'valid' };
    const [, h, w] = x.inputShapes[0]!;
    const attrs: Record<string, number[] | number> = { kernel_shape: c.poolSize, strides: c.strides, pads: pads(c.padding, [h!, w!], c.poolSize, c.strides, [1, 1]) };
    // TensorFlow's 'same' average pooling divides by the window's pixels inside the image.
    if (op === 'AveragePool') attrs.count_include_pad = 0;
    return x.g.node(op, [x.inputs[0]!], x.layer.name, attrs);
  };
}
registerOnnxExporter('MaxPooling2D', poolExporter('MaxPool'));
registerOnnxExporter('AveragePooling2D', poolExporter('AveragePool'));

registerOnnxExporter('Conv2DTranspose', (x) => {
  const c = x.layer.getConfig() as { filters: number; kernelSize: [number, number]; strides: [number, number]; padding: 'same' | 'valid'; useBias: boolean; activation: string; dilationRate?: number | [number, number] };
  if (c.activation !== 'linear') throw new Error(`ONNX export: ${x.layer.name} has a fused ${c.activation} activation, which has no conversion.`);
  const [, h, w, ci] = x.inputShapes[0]!;
  const [, oh, ow] = x.outputShapes[0]!;
  const [kh, kw] = c.kernelSize;
  const [sh, sw] = c.strides;
  const co = c.filters;
  const k = weightData(x.layer, 'kernel')!;
  // tfjs [KH, KW, Co, Ci] -> ONNX [Ci, Co, KH, KW]
  const W = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let o = 0; o < co; o++) for (let i = 0; i < ci!; i++) W[((i * co + o) * kh + y) * kw + xx] = k[((y * kw + xx) * co + o) * ci! + i]!;
  // tfjs pads as the gradient of a 'same'/'valid' convolution from the output;
  // whatever the full transposed output lacks at the end is output padding.
  const axis = (len: number, out: number, kk: number, s: number): [number, number, number] => {
    const [before, after] = c.padding === 'same' ? samePads(out, kk, s) : [0, 0];
    const full = (len - 1) * s + kk - before - after;
    return [before, after, out - full];
  };
  const [t, b, extraH] = axis(h!, oh!, kh, sh);
  const [l, r, extraW] = axis(w!, ow!, kw, sw);
  const inputs = [x.inputs[0]!, x.g.floats(`${x.layer.name}_W`, W, [ci!, co, kh, kw])];
  const bias = c.useBias ? weightData(x.layer, 'bias') : undefined;
  if (bias) inputs.push(x.g.floats(`${x.layer.name}_B`, bias, [co]));
  return x.g.node('ConvTranspose', inputs, x.layer.name, {
    kernel_shape: [kh, kw],
    strides: [sh, sw],
    pads: [t, l, b, r],
    output_padding: [extraH, extraW],
  });
});

registerOnnxExporter('BatchNormalization', (x) => {
  const c = x.layer.getConfig() as { axis: number; epsilon: number };
  if (c.axis !== -1 && c.axis !== 3) throw new Error(`ONNX export: ${x.layer.name} normalises axis ${c.axis}; only the channel axis converts.`);
  const ch = x.inputShapes[0]![3]!;
  const { g, layer } = x;
  const ones = new Float32Array(ch).fill(1);
  const zeros = new Float32Array(ch);
  const inputs = [
    x.inputs[0]!,
    g.floats(`${layer.name}_scale`, weightData(layer, 'gamma') ?? ones, [ch]),
    g.floats(`${layer.name}_B`, weightData(layer, 'beta') ?? zeros, [ch]),
    g.floats(`${layer.name}_mean`, weightData(layer, 'moving_mean')!, [ch]),
    g.floats(`${layer.name}_var`, weightData(layer, 'moving_variance')!, [ch]),
  ];
  return g.node('BatchNormalization', inputs, layer.name, { epsilon: { float: c.epsilon } });
});
