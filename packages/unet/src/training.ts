/**
 * The paper's training set-up (Sec. 3 and 3.1) as trainer options: batch 1
 * with large tiles, SGD with momentum 0.99, the weighted loss of eq. 2, and
 * elastic deformations.
 */
import { unetWeightMap, type AugmentOptions, type OptimizerConfig, type Sample } from '@seg/core';

export interface UNetTrainingOptions {
  weightedLoss?: boolean;
  elastic?: boolean;
  lr?: number;
  /** Replaces the paper's SGD (e.g. Adam for short runs); `lr` is then ignored. */
  optimizer?: OptimizerConfig;
  /** Crop size fed to the network. */
  crop?: [number, number];
}

export function unetTraining(o: UNetTrainingOptions = {}): {
  batchSize: number;
  optimizer: OptimizerConfig;
  augment: AugmentOptions;
  precompute?: (s: Sample) => Sample;
} {
  return {
    batchSize: 1,
    // "a high momentum (0.99) such that a large number of the previously seen training samples determine the update"
    optimizer: o.optimizer ?? { name: 'sgd', lr: o.lr ?? 0.01, momentum: 0.99 },
    augment: {
      flip: true,
      ...(o.crop ? { crop: o.crop } : {}),
      ...(o.elastic === false ? {} : { elastic: { grid: 3, std: 10 } }),
    },
    // "We pre-compute the weight map for each ground truth segmentation": once per image, then deformed with it.
    ...(o.weightedLoss === false ? {} : { precompute: (s: Sample) => ({ ...s, weights: unetWeightMap(s.mask, s.width, s.height) }) }),
  };
}
