import type { tfl } from '../engine/tf.js';
import { TrainingDiverged } from '../errors/input-error.js';
import type { Dataset } from '../data/types.js';
import { train, type TrainConfig } from './trainer.js';

/**
 * train() for a replication: a run whose loss stops being finite is a result
 * (recorded and shown in the report), not the end of the replication. Any
 * other failure still throws.
 */
export async function trainOrDiverged(model: tfl.LayersModel, dataset: Dataset, cfg: TrainConfig, log?: (s: string) => void): Promise<{ seconds: number; diverged?: string }> {
  try {
    return { seconds: (await train(model, dataset, cfg)).seconds };
  } catch (err) {
    if (!(err instanceof TrainingDiverged)) throw err;
    log?.(err.message);
    return { seconds: 0, diverged: err.message };
  }
}
