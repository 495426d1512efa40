/** One optimisation step: forward (training mode), loss, backward, update. */
import { tf, type tfl } from '../engine/tf.js';
import { withAuxiliary } from '../losses/auxiliary.js';
import { auxiliaryLossWeights } from '../models/auxiliary.js';

export type LossFn = (logits: tf.Tensor4D, labels: tf.Tensor3D) => tf.Scalar;

export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Returns the loss as a number, read asynchronously (a GPU engine cannot read
 * back synchronously in Node); every intermediate tensor is released. A
 * model with auxiliary outputs adds each one's loss at its weight
 * (models/auxiliary.ts; by output name, as TrainConfig.auxiliaryLosses).
 */
export async function trainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  images: tf.Tensor4D,
  labels: tf.Tensor3D,
  loss: LossFn,
  auxiliaryLosses?: Record<string, number>,
): Promise<number> {
  const vars = trainableVariables(model);
  const auxiliary = auxiliaryLossWeights(model, auxiliaryLosses).filter((a) => a.weight > 0);
  const cost = optimizer.minimize(
    () => {
      const out = model.apply(images, { training: true });
      const outputs = (Array.isArray(out) ? out : [out]) as tf.Tensor4D[];
      return withAuxiliary(
        loss(outputs[0]!, labels),
        auxiliary.map((a) => ({ loss: loss(outputs[a.index]!, labels), weight: a.weight })),
      );
    },
    true,
    vars,
  );
  try {
    return (await cost!.data())[0]!;
  } finally {
    cost!.dispose();
  }
}
