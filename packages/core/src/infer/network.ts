import type { tf, tfl } from '../engine/tf.js';

/**
 * What inference runs: a tfjs model, or the same model on another engine
 * (the onnx engine's OnnxNetwork). `logits` maps an NHWC batch to NHWC
 * logits; the caller owns (and disposes) both.
 */
export interface Network {
  /** Input [height, width, channels]; null where any value works. */
  readonly inputShape: (number | null)[];
  logits(x: tf.Tensor4D): Promise<tf.Tensor4D>;
  /** The tfjs model it runs, where there is one (its input transform sets the padding value). */
  readonly model?: tfl.LayersModel;
}
