/**
 * Copies torchvision's ImageNet weights from a safetensors file into a
 * model of ours, layer by layer: each tensor is read, laid out as TensorFlow
 * wants it ([out, in, kh, kw] -> [kh, kw, in, out]), set, and dropped, so
 * the file is never held whole beside the model.
 *
 * Beyond the backbone, a model may start head layers from VGG16's fully
 * connected ones: FCN's fc6 (7x7, 4096) and fc7 as they are (Long et al.
 * 2015, Sec. 3.1, "convolutionalized"), and DeepLab-LargeFOV's smaller fc6
 * (3x3 at rate 12, 1024) and fc7 (1024) by decimation, as Chen et al. 2015
 * (Sec. 4.1) did: the taps 0, 3 and 6 of the 7x7 kernel in each direction,
 * every fourth filter of fc6 and fc7, and every fourth input of fc7 (fc6
 * keeps its 512).
 */
import { tf, type tfl } from '../engine/tf.js';
import { sameShape } from '../layers/shape.js';
import { InputError } from '../errors/input-error.js';
import { openSafetensorsSync, type SafetensorsFile } from '../io/safetensors.js';
import { Conv2D } from '../layers/conv.js';
import { ConvBn } from '../layers/conv-bn.js';
import type { ImageNetArch } from './catalog.js';
import { resnetTorchName, VGG_CLASSIFIER, vggTorchName, type TorchConv } from './torchvision-names.js';

/** Which of VGG16's fully connected layers a head layer starts from. */
export type VggClassifierLayer = 'fc6' | 'fc7';

export interface TorchvisionLoadOptions {
  arch: ImageNetArch;
  /** Head layers (by name) that start from VGG16's fc6 / fc7. */
  classifier?: Record<string, VggClassifierLayer>;
}

/** [out, in, kh, kw] (PyTorch) -> [kh, kw, in, out] (TensorFlow). */
export function torchToTfKernel(w: Float32Array, shape: number[]): Float32Array {
  return kernelInTfLayout((from, count) => w.subarray(from, from + count), shape);
}

/**
 * A [out, in, kh, kw] kernel read filter by filter (`read(from, count)`)
 * into TensorFlow's [kh, kw, in, out], taking every `step`-th filter, input
 * channel and spatial tap from 0 (decimation; 1: all). Only a few filters are
 * held beside the result, never the whole kernel twice.
 */
export function kernelInTfLayout(read: (from: number, count: number) => Float32Array, [o, i, kh, kw]: number[], step: [number, number, number] = [1, 1, 1]): Float32Array {
  const [so, si, ss] = step;
  const [O, I, H, W] = [Math.ceil(o! / so), Math.ceil(i! / si), Math.ceil(kh! / ss), Math.ceil(kw! / ss)];
  const out = new Float32Array(O * I * H * W);
  const per = i! * kh! * kw!;
  // Filters read a few MB at a time; a decimated kernel reads only the filters it keeps.
  const chunk = so === 1 ? Math.max(1, Math.floor(4_000_000 / per)) : 1;
  for (let a0 = 0; a0 < O; a0 += chunk) {
    const n = Math.min(chunk, O - a0);
    const filters = read(a0 * so * per, so === 1 ? n * per : per);
    // The chunk's filters side by side in each output row (writes in order; the reads stride by a filter).
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let b = 0; b < I; b++) {
          const row = ((y * W + x) * I + b) * O + a0;
          const src = (b * si * kh! + y * ss) * kw! + x * ss;
          for (let k = 0; k < n; k++) out[row + k] = filters[k * per + src]!;
        }
  }
  return out;
}

/** The first of `names` the file holds. */
function pick(f: SafetensorsFile, names: readonly string[]): string {
  const hit = names.find((n) => f.has(`${n}.weight`));
  if (!hit) throw new InputError(`${f.file} has no ${names.join(' or ')}: it is not torchvision's VGG16.`);
  return hit;
}

/** A kernel's shape as [o, i, kh, kw], whether stored as a convolution (timm) or a linear layer (torchvision's fc6 [4096, 25088] is [4096, 512, 7, 7] flattened, the same bytes). */
function kernelShape(f: SafetensorsFile, name: string): number[] {
  const shape = f.shape(`${name}.weight`);
  if (shape.length === 4) return shape;
  const [o, n] = shape as [number, number];
  return n === 512 * 7 * 7 ? [o, 512, 7, 7] : [o, n, 1, 1];
}

function mismatch(layer: string, ours: number[], theirs: number[], file: string): never {
  throw new InputError(`ImageNet weights fit the full-width backbone only: ${layer} is ${ours.join('x')} here, ${theirs.join('x')} in ${file} (build it with width 1).`);
}


/** Sets a layer's weights from torchvision's tensors: a conv (with its bias, if both have one) and its batch norm. */
function setConv(layer: Conv2D | ConvBn, t: TorchConv, f: SafetensorsFile): void {
  const ours = layer.getWeights();
  const values: tf.Tensor[] = [];
  try {
    const shape = f.shape(`${t.conv}.weight`);
    const [o, i, kh, kw] = shape as [number, number, number, number];
    if (!sameShape(ours[0]!.shape, [kh, kw, i, o])) mismatch(layer.name, ours[0]!.shape as number[], [kh, kw, i, o], f.file);
    values.push(tf.tensor(kernelInTfLayout((from, count) => f.read(`${t.conv}.weight`, from, count), shape), [kh, kw, i, o]));
    let next = 1;
    if (layer.useBias) {
      // A bias torchvision lacks (a Caffe-style conv-bn of ours) stays as built.
      values.push(f.has(`${t.conv}.bias`) ? tf.tensor(f.read(`${t.conv}.bias`)) : ours[next]!.clone());
      next++;
    }
    if (layer instanceof ConvBn) {
      if (t.bn && f.has(`${t.bn}.weight`)) {
        for (const p of ['weight', 'bias', 'running_mean', 'running_var']) values.push(tf.tensor(f.read(`${t.bn}.${p}`)));
      } else {
        // VGG16 has no batch norm: SegNet's encoder keeps its own, which it learns; the conv's bias is what a batch norm removes anyway.
        for (let j = next; j < ours.length; j++) values.push(ours[j]!.clone());
      }
    }
    layer.setWeights(values);
  } finally {
    // (getWeights hands out the variables' own tensors: not ours to dispose)
    values.forEach((v) => v.dispose());
  }
}

/** A head layer from VGG16's fc6 or fc7: as it is when the shapes agree, else decimated to the layer's shape. */
function setFromClassifier(layer: Conv2D, which: VggClassifierLayer, f: SafetensorsFile): void {
  const name = pick(f, VGG_CLASSIFIER[which]);
  const [kh, kw, i, o] = layer.getWeights()[0]!.shape as number[];
  const shape = kernelShape(f, name);
  let step: [number, number, number] = [1, 1, 1];
  if (!sameShape(shape, [o!, i!, kh!, kw!])) {
    step = [shape[0]! / o!, shape[1]! / i!, kh === shape[2] ? 1 : (shape[2]! - 1) / (kh! - 1)];
    const fits = step.every((s) => Number.isInteger(s) && s >= 1) && Math.ceil(shape[2]! / step[2]) === kh && Math.ceil(shape[3]! / step[2]) === kw;
    if (!fits) mismatch(layer.name, [kh!, kw!, i!, o!], [shape[2]!, shape[3]!, shape[1]!, shape[0]!], f.file);
  }
  if (!layer.useBias) throw new Error(`${layer.name} has no bias; VGG16's ${which} has one.`);
  const kernel = kernelInTfLayout((from, count) => f.read(`${name}.weight`, from, count), shape, step);
  const bias = f.read(`${name}.bias`).filter((_, j) => j % step[0] === 0);
  const values = [tf.tensor(kernel, [kh!, kw!, i!, o!]), tf.tensor(bias)];
  try {
    layer.setWeights(values);
  } finally {
    values.forEach((v) => v.dispose());
  }
}

/**
 * Starts `model`'s backbone (and the head layers `o.classifier` names) from
 * the torchvision weights in `file`. Returns how many layers were set; a
 * model with none, or of another width, is refused.
 */
export function loadTorchvisionWeights(model: tfl.LayersModel, file: string, o: TorchvisionLoadOptions): number {
  const f = openSafetensorsSync(file);
  try {
    const nameOf = o.arch === 'vgg16' ? vggTorchName : resnetTorchName;
    let set = 0;
    for (const layer of model.layers) {
      const head = o.classifier?.[layer.name];
      if (head) {
        if (!(layer instanceof Conv2D)) throw new Error(`${layer.name} is not a convolution; it cannot start from VGG16's ${head}.`);
        setFromClassifier(layer, head, f);
        set++;
        continue;
      }
      const t = nameOf(layer.name);
      if (!t || !(layer instanceof Conv2D || layer instanceof ConvBn)) continue;
      if (!f.has(`${t.conv}.weight`)) throw new InputError(`${file} has no ${t.conv}.weight (for our ${layer.name}): it does not hold torchvision's ${o.arch}.`);
      setConv(layer, t, f);
      set++;
    }
    if (set === 0) throw new Error(`${model.name} has no ${o.arch} layers to take ImageNet weights.`);
    return set;
  } finally {
    f.close();
  }
}
