/**
 * Inference: whole image, sliding window with overlap (averaged logits),
 * U-Net's overlap-tile with mirror padding (Ronneberger et al. 2015, Fig. 2),
 * and multi-scale + flip testing (averaged softmax probabilities).
 */
import { tf, type tfl } from '../engine/tf.js';
import { InputError } from '../errors/input-error.js';
import { asOutOfMemory } from '../engine/out-of-memory.js';
import type { Sample } from '../data/types.js';
import { withoutAuxiliary } from '../models/auxiliary.js';
import { paddedToMultiple } from './pad-to-multiple.js';
import type { Network } from './network.js';

export interface InferOptions {
  mode?: 'whole' | 'slide' | 'tile';
  /** Sliding window size [h, w] and stride [h, w] (mode 'slide'). */
  window?: [number, number];
  stride?: [number, number];
  /** Overlap-tile: the model's input tile size [h, w] (mode 'tile'); its output size is read off the model. */
  tile?: [number, number];
  /** Test-time scales and horizontal flip (probabilities are averaged). */
  scales?: number[];
  flip?: boolean;
  /** Pad each side up to a multiple of this and crop the logits back (the model's ModelSpec.sizeMultiple; infer/pad-to-multiple.ts). */
  sizeMultiple?: number;
}

export interface Prediction {
  width: number;
  height: number;
  classes: number;
  /** Softmax probabilities, HWC. */
  probs: Float32Array;
  /** Argmax labels. */
  labels: Uint8Array;
}

export type { Network } from './network.js';

/** A tfjs model as a Network: its first output; auxiliary heads are not computed. */
export function tfjsNetwork(model: tfl.LayersModel): Network {
  const net = withoutAuxiliary(model);
  return {
    inputShape: net.inputs[0]!.shape.slice(1),
    logits: async (x) => net.predict(x) as tf.Tensor4D,
    model,
  };
}

function isNetwork(m: tfl.LayersModel | Network): m is Network {
  return typeof (m as Network).logits === 'function';
}

/** The Network that inference runs: padding to the model's size multiple, where it has one, wraps every forward pass. */
function networkOf(model: tfl.LayersModel | Network, o: InferOptions): Network {
  const net = isNetwork(model) ? model : tfjsNetwork(model);
  return o.sizeMultiple ? paddedToMultiple(net, o.sizeMultiple) : net;
}

/** Windows at the given stride (the last one flush with the border), zero-padded if the image is smaller; logits averaged where they overlap. */
async function slide(net: Network, x: tf.Tensor4D, window: [number, number], stride: [number, number]): Promise<tf.Tensor4D> {
  const [, h, w] = x.shape;
  const [wh, ww] = window;
  const padded = tf.pad(x, [
    [0, 0],
    [0, Math.max(0, wh - h)],
    [0, Math.max(0, ww - w)],
    [0, 0],
  ]) as tf.Tensor4D;
  const [, ph, pw] = padded.shape;
  const starts = (len: number, win: number, step: number) => {
    const s: number[] = [];
    for (let p = 0; ; p += step) {
      s.push(Math.min(p, len - win));
      if (p + win >= len) break;
    }
    return [...new Set(s)];
  };
  let sum: tf.Tensor4D | undefined;
  let count: tf.Tensor4D | undefined;
  for (const y of starts(ph, wh, stride[0])) {
    for (const xo of starts(pw, ww, stride[1])) {
      const crop = tf.slice(padded, [0, y, xo, 0], [1, wh, ww, padded.shape[3]]);
      const logits = await net.logits(crop);
      crop.dispose();
      const [s2, n2] = tf.tidy(() => {
        const place = (t: tf.Tensor4D) => tf.pad(t, [[0, 0], [y, ph - y - wh], [xo, pw - xo - ww], [0, 0]]) as tf.Tensor4D;
        const s = place(logits);
        const n = place(tf.ones([1, wh, ww, 1]));
        return [sum ? (tf.add(sum, s) as tf.Tensor4D) : s, count ? (tf.add(count, n) as tf.Tensor4D) : n];
      });
      tf.dispose([logits, sum!, count!].filter(Boolean));
      sum = s2;
      count = n2;
    }
  }
  const out = tf.tidy(() => tf.slice(tf.div(sum!, count!), [0, 0, 0, 0], [1, h, w, sum!.shape[3]]) as tf.Tensor4D);
  tf.dispose([padded, sum!, count!]);
  return out;
}

/**
 * Overlap-tile: each output tile of a valid-convolution net needs a larger
 * input tile; the border is filled by mirroring the image, so any image size
 * gives an output of exactly that size.
 */
async function overlapTile(net: Network, x: tf.Tensor4D, tile: [number, number]): Promise<tf.Tensor4D> {
  const [, h, w, c] = x.shape;
  const zeros = tf.zeros([1, tile[0], tile[1], c]) as tf.Tensor4D;
  const probe = await net.logits(zeros);
  const [oh, ow] = [probe.shape[1], probe.shape[2]];
  tf.dispose([zeros, probe]);
  const mh = (tile[0] - oh) / 2;
  const mw = (tile[1] - ow) / 2;
  if (!Number.isInteger(mh) || !Number.isInteger(mw)) throw new Error(`Overlap-tile needs a centred output: input tile ${tile.join('x')} gives ${oh}x${ow}.`);
  const ny = Math.ceil(h / oh);
  const nx = Math.ceil(w / ow);
  // Mirror padding ('reflect') may not exceed the image size; mirror repeatedly until it covers the margins.
  let padded = x;
  let top = mh;
  let left = mw;
  let bottom = ny * oh - h + mh;
  let right = nx * ow - w + mw;
  while (top > 0 || bottom > 0 || left > 0 || right > 0) {
    const [, ph, pw] = padded.shape;
    const t = Math.min(top, ph - 1);
    const b = Math.min(bottom, ph - 1);
    const l = Math.min(left, pw - 1);
    const r = Math.min(right, pw - 1);
    const next = tf.mirrorPad(padded, [[0, 0], [t, b], [l, r], [0, 0]], 'reflect') as tf.Tensor4D;
    if (padded !== x) padded.dispose();
    padded = next;
    top -= t;
    bottom -= b;
    left -= l;
    right -= r;
  }
  const tiles: tf.Tensor4D[][] = [];
  for (let i = 0; i < ny; i++) {
    const cols: tf.Tensor4D[] = [];
    for (let j = 0; j < nx; j++) {
      const crop = tf.slice(padded, [0, i * oh, j * ow, 0], [1, tile[0], tile[1], c]);
      cols.push(await net.logits(crop));
      crop.dispose();
    }
    tiles.push(cols);
  }
  const out = tf.tidy(() => {
    const all = tf.concat(tiles.map((cols) => tf.concat(cols, 2)), 1) as tf.Tensor4D;
    return tf.slice(all, [0, 0, 0, 0], [1, h, w, all.shape[3]]);
  });
  tf.dispose(tiles.flat());
  if (padded !== x) padded.dispose();
  return out;
}

function logitsAt(net: Network, x: tf.Tensor4D, o: InferOptions): Promise<tf.Tensor4D> {
  if (o.mode === 'slide') {
    if (!o.window) throw new Error('Sliding-window inference needs a window size.');
    return slide(net, x, o.window, o.stride ?? [Math.ceil(o.window[0] * 2 / 3), Math.ceil(o.window[1] * 2 / 3)]);
  }
  if (o.mode === 'tile') {
    if (!o.tile) throw new Error('Overlap-tile inference needs the model input tile size.');
    return overlapTile(net, x, o.tile);
  }
  return net.logits(x);
}

/**
 * Softmax probabilities and labels of one image, with the model or a Network
 * (another engine). Running out of memory ends in one sentence that says
 * what to change.
 */
export async function infer(model: tfl.LayersModel | Network, sample: Sample, o: InferOptions = {}): Promise<Prediction> {
  try {
    return await inferImage(model, sample, o);
  } catch (err) {
    const size = `${sample.height}x${sample.width}`;
    if (o.mode === 'slide' && o.window) throw asOutOfMemory(err, `inference with a ${o.window.join('x')} window on the ${size} image ${sample.id}`, 'use a smaller --window');
    if (o.mode === 'tile' && o.tile) throw asOutOfMemory(err, `inference with ${o.tile.join('x')} tiles on the ${size} image ${sample.id}`, 'use a smaller --tile');
    throw asOutOfMemory(err, `inference on the whole ${size} image ${sample.id}`, 'segment it in pieces with --window HxW (a sliding window, e.g. --window 512x512) or --tile HxW (overlap-tile)');
  }
}

async function inferImage(model: tfl.LayersModel | Network, sample: Sample, o: InferOptions): Promise<Prediction> {
  const net = networkOf(model, o);
  const { width: w, height: h, channels: c } = sample;
  const [fh, fw, fc] = net.inputShape;
  if (fc != null && fc !== c) throw new InputError(`Image ${sample.id} has ${c} channels but the model takes ${fc}.`);
  const scaled = (o.scales ?? [1]).some((s) => s !== 1);
  if ((o.mode ?? 'whole') === 'whole' && fh != null && fw != null && (fh !== h || fw !== w || scaled)) {
    throw new InputError(`Image ${sample.id} is ${h}x${w} but the model takes exactly ${fh}x${fw}; use overlap-tile (--tile ${fh}x${fw}) or a sliding window (--window ${fh}x${fw}).`);
  }
  const x = tf.tensor4d(sample.image, [1, h, w, c]);
  const scales = o.scales ?? [1];
  let acc: tf.Tensor4D | undefined;
  for (const s of scales) {
    const size: [number, number] = [Math.round(h * s), Math.round(w * s)];
    const xs = s === 1 ? x : tf.image.resizeBilinear(x, size, false, true);
    for (const flip of o.flip ? [false, true] : [false]) {
      const input = flip ? (tf.reverse(xs, 2) as tf.Tensor4D) : xs;
      const logits = await logitsAt(net, input, o);
      const sum = tf.tidy(() => {
        let l = flip ? (tf.reverse(logits, 2) as tf.Tensor4D) : logits;
        if (l.shape[1] !== h || l.shape[2] !== w) l = tf.image.resizeBilinear(l, [h, w], false, true);
        const p = tf.softmax(l) as tf.Tensor4D;
        return acc ? (tf.add(acc, p) as tf.Tensor4D) : p;
      });
      tf.dispose([logits, ...(acc ? [acc] : []), ...(flip ? [input] : [])]);
      acc = sum;
    }
    if (xs !== x) xs.dispose();
  }
  x.dispose();
  const probs = tf.tidy(() => tf.div(acc!, scales.length * (o.flip ? 2 : 1)) as tf.Tensor4D);
  acc!.dispose();
  const classes = probs.shape[3];
  const data = (await probs.data()) as Float32Array;
  probs.dispose();
  return prediction(data, h, w, classes);
}

/** A prediction from HWC probabilities: the argmax labels beside them. */
function prediction(probs: Float32Array, h: number, w: number, classes: number): Prediction {
  const labels = new Uint8Array(h * w);
  for (let i = 0; i < h * w; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[i * classes + k]! > probs[i * classes + best]!) best = k;
    labels[i] = best;
  }
  return { width: w, height: h, classes, probs, labels };
}

/**
 * Whole-image inference of several same-sized images in one forward pass
 * (evaluation's batches): the predictions infer() gives one by one, for
 * fewer, larger kernel calls.
 */
export async function inferBatch(model: tfl.LayersModel | Network, samples: Sample[], o: InferOptions = {}): Promise<Prediction[]> {
  const first = samples[0];
  const batchable = first && (o.mode ?? 'whole') === 'whole' && !o.flip && (o.scales ?? [1]).every((s) => s === 1) && samples.every((s) => s.height === first.height && s.width === first.width && s.channels === first.channels);
  if (!batchable || samples.length === 1) return Promise.all(samples.map((s) => infer(model, s, o)));
  const net = networkOf(model, o);
  const { height: h, width: w, channels: c } = first;
  const [fh, fw] = net.inputShape;
  if ((fh != null && fh !== h) || (fw != null && fw !== w)) return Promise.all(samples.map((s) => infer(model, s, o)));
  const x = tf.tidy(() => tf.stack(samples.map((s) => tf.tensor3d(s.image, [h, w, c]))) as tf.Tensor4D);
  let logits: tf.Tensor4D;
  try {
    logits = await net.logits(x);
  } catch (err) {
    throw asOutOfMemory(err, `inference on ${samples.length} ${h}x${w} images at once`, 'evaluate with a smaller batch');
  } finally {
    x.dispose();
  }
  const probs = tf.tidy(() => tf.softmax(logits.shape[1] !== h || logits.shape[2] !== w ? tf.image.resizeBilinear(logits, [h, w], false, true) : logits) as tf.Tensor4D);
  logits.dispose();
  const classes = probs.shape[3];
  const data = (await probs.data()) as Float32Array;
  probs.dispose();
  const size = h * w * classes;
  return samples.map((_, i) => prediction(data.slice(i * size, (i + 1) * size), h, w, classes));
}
