import type { tfl } from '../engine/tf.js';

/** Trainable parameters (what the docs/zoo.md counts state). */
export function countTrainableParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => (a as number) * (b as number), 1)!, 0) as number;
}
