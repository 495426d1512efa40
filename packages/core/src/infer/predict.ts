/**
 * Inference: whole image, sliding window with overlap (averaged logits),
 * U-Net's overlap-tile with mirror padding (Ronneberger et al. 2015, Fig. 2),
 * and multi-scale + flip testing (averaged softmax probabilities).
 */
import { tf, type tfl } from '../engine/tf.js';
import type { Sample } from '../data/types.js';

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

function run(model: tfl.LayersModel, x: tf.Tensor4D): tf.Tensor4D {
  const out = model.predict(x);
  return (Array.isArray(out) ? out[0] : out) as tf.Tensor4D;
}

/** Logits of the whole image in one pass. */
function whole(model: tfl.LayersModel, x: tf.Tensor4D): tf.Tensor4D {
  return run(model, x);
}

/** Windows at the given stride (the last one flush with the border), zero-padded if the image is smaller; logits averaged where they overlap. */
function slide(model: tfl.LayersModel, x: tf.Tensor4D, window: [number, number], stride: [number, number]): tf.Tensor4D {
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
      const logits = run(model, tf.slice(padded, [0, y, xo, 0], [1, wh, ww, padded.shape[3]]));
      const place = (t: tf.Tensor4D) => tf.pad(t, [[0, 0], [y, ph - y - wh], [xo, pw - xo - ww], [0, 0]]) as tf.Tensor4D;
      const s = place(logits);
      const n = place(tf.ones([1, wh, ww, 1]));
      sum = sum ? (tf.add(sum, s) as tf.Tensor4D) : s;
      count = count ? (tf.add(count, n) as tf.Tensor4D) : n;
    }
  }
  return tf.slice(tf.div(sum!, count!), [0, 0, 0, 0], [1, h, w, sum!.shape[3]]) as tf.Tensor4D;
}

/**
 * Overlap-tile: each output tile of a valid-convolution net needs a larger
 * input tile; the border is filled by mirroring the image, so any image size
 * gives an output of exactly that size.
 */
function overlapTile(model: tfl.LayersModel, x: tf.Tensor4D, tile: [number, number]): tf.Tensor4D {
  const [, h, w, c] = x.shape;
  const probe = run(model, tf.zeros([1, tile[0], tile[1], c]));
  const [oh, ow] = [probe.shape[1], probe.shape[2]];
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
    padded = tf.mirrorPad(padded, [[0, 0], [t, b], [l, r], [0, 0]], 'reflect') as tf.Tensor4D;
    top -= t;
    bottom -= b;
    left -= l;
    right -= r;
  }
  const rows: tf.Tensor4D[] = [];
  for (let i = 0; i < ny; i++) {
    const cols: tf.Tensor4D[] = [];
    for (let j = 0; j < nx; j++) cols.push(run(model, tf.slice(padded, [0, i * oh, j * ow, 0], [1, tile[0], tile[1], c])));
    rows.push(tf.concat(cols, 2) as tf.Tensor4D);
  }
  const all = tf.concat(rows, 1) as tf.Tensor4D;
  return tf.slice(all, [0, 0, 0, 0], [1, h, w, all.shape[3]]);
}

function logitsAt(model: tfl.LayersModel, x: tf.Tensor4D, o: InferOptions): tf.Tensor4D {
  if (o.mode === 'slide') {
    if (!o.window) throw new Error('Sliding-window inference needs a window size.');
    return slide(model, x, o.window, o.stride ?? [Math.ceil(o.window[0] * 2 / 3), Math.ceil(o.window[1] * 2 / 3)]);
  }
  if (o.mode === 'tile') {
    if (!o.tile) throw new Error('Overlap-tile inference needs the model input tile size.');
    return overlapTile(model, x, o.tile);
  }
  return whole(model, x);
}

export function infer(model: tfl.LayersModel, sample: Sample, o: InferOptions = {}): Prediction {
  const { width: w, height: h, channels: c } = sample;
  const [, fh, fw, fc] = model.inputs[0]!.shape;
  if (fc != null && fc !== c) throw new Error(`Image ${sample.id} has ${c} channels but the model takes ${fc}.`);
  const scaled = (o.scales ?? [1]).some((s) => s !== 1);
  if ((o.mode ?? 'whole') === 'whole' && fh != null && fw != null && (fh !== h || fw !== w || scaled)) {
    throw new Error(`Image ${sample.id} is ${h}x${w} but the model takes exactly ${fh}x${fw}; use overlap-tile (--tile ${fh}x${fw}) or a sliding window (--window ${fh}x${fw}).`);
  }
  const probs = tf.tidy(() => {
    const x = tf.tensor4d(sample.image, [1, h, w, c]);
    const scales = o.scales ?? [1];
    let acc: tf.Tensor4D | undefined;
    for (const s of scales) {
      const size: [number, number] = [Math.round(h * s), Math.round(w * s)];
      const xs = s === 1 ? x : tf.image.resizeBilinear(x, size, false, true);
      for (const flip of o.flip ? [false, true] : [false]) {
        const input = flip ? (tf.reverse(xs, 2) as tf.Tensor4D) : xs;
        let logits = logitsAt(model, input, o);
        if (flip) logits = tf.reverse(logits, 2) as tf.Tensor4D;
        if (logits.shape[1] !== h || logits.shape[2] !== w) logits = tf.image.resizeBilinear(logits, [h, w], false, true);
        const p = tf.softmax(logits) as tf.Tensor4D;
        acc = acc ? (tf.add(acc, p) as tf.Tensor4D) : p;
      }
    }
    return tf.div(acc!, scales.length * (o.flip ? 2 : 1)) as tf.Tensor4D;
  });
  const classes = probs.shape[3];
  const data = probs.dataSync() as Float32Array;
  probs.dispose();
  const labels = new Uint8Array(h * w);
  for (let i = 0; i < h * w; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (data[i * classes + k]! > data[i * classes + best]!) best = k;
    labels[i] = best;
  }
  return { width: w, height: h, classes, probs: data, labels };
}
