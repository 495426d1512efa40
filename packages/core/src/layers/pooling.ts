/**
 * SegNet's pooling pair (Badrinarayanan et al. 2017, Fig. 3): max-pooling that
 * keeps the argmax of each window, and unpooling that puts each value back
 * at its argmax, zeros elsewhere. Adaptive average and max pooling for
 * PSPNet's pyramid (Zhao et al. 2017, Sec. 3.2 and Table 1's AVE / MAX),
 * with PyTorch's bin edges.
 */
import { tf, tfl } from '../engine/tf.js';
import { allShapes, asList, firstShape } from './shape.js';

/**
 * Outputs [pooled, indices]; indices are int32, flat within one image:
 * (y * W + x) * C + c. `ceil` rounds odd sizes up as Caffe's pooling does
 * (45 -> 23: the last window holds one row), so no border pixel is dropped.
 */
export class MaxPoolWithArgmax extends tfl.layers.Layer {
  static readonly className = 'SegMaxPoolWithArgmax';
  readonly poolSize: number;
  readonly ceil: boolean;

  constructor(args: { poolSize?: number; ceil?: boolean; name?: string } = {}) {
    super({ name: args.name });
    this.poolSize = args.poolSize ?? 2;
    this.ceil = args.ceil ?? false;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const x = asList(inputs)[0] as tf.Tensor4D;
      const k = this.poolSize;
      // tf.maxPool carries the gradient. The indices are computed here rather
      // than by tf.maxPoolWithArgmax, whose wasm kernel returns wrong indices
      // for windows of negative values and breaks ties differently from cpu:
      // we take the first maximum in row-major window order on every backend.
      if (!this.ceil) return [tf.maxPool(x, k, k, 'valid'), argmaxIndices(x, k)];
      // 'same' pads only the bottom and right for k = stride, which is Caffe's rounding up;
      // the indices come from the input padded with -Infinity, which never wins a window.
      const [n, h, w, c] = x.shape;
      const [ph, pw] = [Math.ceil(h / k) * k - h, Math.ceil(w / k) * k - w];
      const padded = ph || pw ? tf.concat([tf.concat([x, tf.fill([n, h, pw, c], -Infinity)], 2), tf.fill([n, ph, w + pw, c], -Infinity)], 1) : x;
      return [tf.maxPool(x, k, k, 'same'), argmaxIndices(padded as tf.Tensor4D, k, w)];
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape[] {
    const s = firstShape(inputShape);
    const k = this.poolSize;
    const round = this.ceil ? Math.ceil : Math.floor;
    const out: tfl.Shape = [s[0]!, s[1] == null ? null : round(s[1] / k), s[2] == null ? null : round(s[2] / k), s[3]!];
    return [out, [...out]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize, ceil: this.ceil };
  }
}

/**
 * Flat in-image index (y * W + x) * C + c of each k x k window's first
 * maximum; W is `imageWidth` (the unpadded width) when given.
 */
export function argmaxIndices(x: tf.Tensor4D, k: number, imageWidth?: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, height, paddedWidth, c] = x.shape;
    const width = imageWidth ?? paddedWidth;
    const h = Math.floor(height / k);
    const w = Math.floor(paddedWidth / k);
    const cropped = tf.slice(x, [0, 0, 0, 0], [n, h * k, w * k, c]);
    const windows = tf.reshape(tf.transpose(tf.reshape(cropped, [n, h, k, w, k, c]), [0, 1, 3, 5, 2, 4]), [n, h, w, c, k * k]);
    const local = tf.argMax(windows, -1) as tf.Tensor4D;
    const dy = tf.floorDiv(local, k);
    const dx = tf.sub(local, tf.mul(dy, k));
    const rows = tf.add(tf.reshape(tf.mul(tf.range(0, h, 1, 'int32'), k), [1, h, 1, 1]), dy);
    const cols = tf.add(tf.reshape(tf.mul(tf.range(0, w, 1, 'int32'), k), [1, 1, w, 1]), dx);
    const chans = tf.reshape(tf.range(0, c, 1, 'int32'), [1, 1, 1, c]);
    return tf.add(tf.mul(tf.add(tf.mul(rows, width), cols), c), chans) as tf.Tensor4D;
  });
}

/** Inputs [values, indices, reference]; output has the reference's H and W. */
export class MaxUnpool extends tfl.layers.Layer {
  static readonly className = 'SegMaxUnpool';
  readonly poolSize: number;

  constructor(args: { poolSize?: number; name?: string } = {}) {
    super({ name: args.name });
    this.poolSize = args.poolSize ?? 2;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, indices, ref] = asList(inputs) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const k = this.poolSize;
      const [n, h, w, c] = x.shape;
      const [outH, outW] = [ref.shape[1], ref.shape[2]];
      // Every value copied to its k x k window (a broadcast product: tfjs has no
      // rank-6 tile gradient), kept only where the window's
      // position is the stored argmax: a mask product, so the gradient is exact.
      const spread = <T extends tf.Tensor>(t: T) =>
        tf.reshape(tf.mul(tf.reshape(t, [n, h, 1, w, 1, c]), tf.ones([1, 1, k, 1, k, 1], t.dtype)), [n, h * k, w * k, c]);
      // The mask depends on the indices only; no gradient flows into them.
      // (Zeros made from the shape: the indices themselves may be freed by
      // the time the backward pass runs, and a kernel that reads them fails.)
      const mask = tf.customGrad(((idx: tf.Tensor) => {
        const rows = tf.reshape(tf.range(0, h * k, 1, 'int32'), [1, h * k, 1, 1]);
        const cols = tf.reshape(tf.range(0, w * k, 1, 'int32'), [1, 1, w * k, 1]);
        const chans = tf.reshape(tf.range(0, c, 1, 'int32'), [1, 1, 1, c]);
        const position = tf.add(tf.mul(tf.add(tf.mul(rows, outW), cols), c), chans);
        const value = tf.cast(tf.equal(spread(tf.cast(idx, 'int32')), position), 'float32');
        const [shape, dtype] = [idx.shape, idx.dtype];
        return { value, gradFunc: () => tf.zeros(shape, dtype) };
      }) as never)(indices) as tf.Tensor;
      let up = tf.mul(spread(x), mask) as tf.Tensor4D;
      // After rounding-up pooling (45 -> 23), the k x k spread is larger than the reference: crop it.
      if (h * k > outH || w * k > outW) up = tf.slice(up, [0, 0, 0, 0], [n, Math.min(h * k, outH), Math.min(w * k, outW), c]);
      return tf.pad(up, [
        [0, 0],
        [0, Math.max(0, outH - h * k)],
        [0, Math.max(0, outW - w * k)],
        [0, 0],
      ]);
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [s, , ref] = allShapes(inputShape) as [tfl.Shape, tfl.Shape, tfl.Shape];
    return [s[0]!, ref[1]!, ref[2]!, s[3]!];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize };
  }
}

/** PyTorch's AdaptiveAvgPool2d bin edges: [floor(i*L/n), ceil((i+1)*L/n)). */
export function adaptiveBins(length: number, bins: number): [number, number][] {
  return Array.from({ length: bins }, (_, i) => [Math.floor((i * length) / bins), Math.ceil(((i + 1) * length) / bins)]);
}

/** Pools each of bins x bins (possibly overlapping) regions to one value per channel. */
abstract class AdaptivePool2D extends tfl.layers.Layer {
  readonly bins: number;

  constructor(args: { bins: number; name?: string }) {
    super({ name: args.name });
    if (!Number.isInteger(args.bins) || args.bins < 1) throw new Error(`Adaptive pooling needs a positive integer number of bins (got ${args.bins}).`);
    this.bins = args.bins;
  }

  protected abstract reduce(x: tf.Tensor4D): tf.Tensor4D;

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asList(inputs)[0] as tf.Tensor4D;
      const [n, h, w, c] = x.shape;
      if (this.bins === 1) return this.reduce(x);
      const rows = adaptiveBins(h, this.bins).map(([r0, r1]) =>
        tf.concat(
          adaptiveBins(w, this.bins).map(([c0, c1]) => this.reduce(tf.slice(x, [0, r0, c0, 0], [n, r1 - r0, c1 - c0, c]))),
          2,
        ),
      );
      return tf.concat(rows, 1);
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = firstShape(inputShape);
    return [s[0]!, this.bins, this.bins, s[3]!];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), bins: this.bins };
  }
}

export class AdaptiveAvgPool2D extends AdaptivePool2D {
  static readonly className = 'SegAdaptiveAvgPool2D';
  protected reduce(x: tf.Tensor4D): tf.Tensor4D {
    return tf.mean(x, [1, 2], true);
  }
}

/** PyTorch's AdaptiveMaxPool2d: the maximum over each bin (PSPNet Table 1's MAX). */
export class AdaptiveMaxPool2D extends AdaptivePool2D {
  static readonly className = 'SegAdaptiveMaxPool2D';
  protected reduce(x: tf.Tensor4D): tf.Tensor4D {
    return tf.max(x, [1, 2], true);
  }
}

tf.serialization.registerClass(MaxPoolWithArgmax);
tf.serialization.registerClass(MaxUnpool);
tf.serialization.registerClass(AdaptiveAvgPool2D);
tf.serialization.registerClass(AdaptiveMaxPool2D);
