/**
 * Local response normalisation across channels, as Caffe (and ONNX) define
 * it: y = x / (k + alpha / n * sum of x^2 over the n channels around)^beta.
 * SegNet-Basic normalises its input this way (local size 5, alpha 1e-4,
 * beta 0.75). Composed of plain ops, so its gradient works on every engine.
 */
import { tf, tfl } from '../engine/tf.js';
import { asList } from './shape.js';

export interface LrnArgs {
  size?: number;
  alpha?: number;
  beta?: number;
  k?: number;
  name?: string;
}

export class LocalResponseNorm extends tfl.layers.Layer {
  static readonly className = 'SegLRN';
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(args: LrnArgs = {}) {
    super({ name: args.name });
    this.size = args.size ?? 5;
    this.alpha = args.alpha ?? 1e-4;
    this.beta = args.beta ?? 0.75;
    this.k = args.k ?? 1;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asList(inputs)[0] as tf.Tensor4D;
      const c = x.shape[3];
      const before = Math.floor((this.size - 1) / 2);
      const after = this.size - 1 - before;
      const sq = tf.pad(tf.square(x), [[0, 0], [0, 0], [0, 0], [before, after]]);
      let sum: tf.Tensor = tf.slice(sq, [0, 0, 0, 0], [-1, -1, -1, c]);
      for (let i = 1; i < this.size; i++) sum = tf.add(sum, tf.slice(sq, [0, 0, 0, i], [-1, -1, -1, c]));
      return tf.mul(x, tf.pow(tf.add(tf.mul(sum, this.alpha / this.size), this.k), -this.beta));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
  }
}
tf.serialization.registerClass(LocalResponseNorm);
