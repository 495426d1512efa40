/**
 * Dropout whose masks are reproducible: tfjs-layers' Dropout with a seed
 * draws the same mask at every step, and without one it draws from
 * Math.random. This one takes its seed from the trainer's step (seeds.ts).
 */
import { tf, tfl } from '../engine/tf.js';
import { asList } from './shape.js';
import { noiseSeed } from './seeds.js';

export class SeededDropout extends tfl.layers.Layer {
  static readonly className = 'SegDropout';
  readonly rate: number;

  constructor(args: { rate: number; name?: string }) {
    super(args);
    this.rate = args.rate;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = asList(inputs)[0]!;
    if (!kwargs.training || this.rate <= 0) return x;
    return tf.dropout(x, this.rate, undefined, noiseSeed(this.name));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(SeededDropout);
