/** One optimisation step: forward (training mode), loss, backward, update. */
import { tf, type tfl } from '../engine/tf.js';

export type LossFn = (logits: tf.Tensor4D, labels: tf.Tensor3D) => tf.Scalar;

export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Returns the loss as a number; every intermediate tensor is released. */
export function trainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  images: tf.Tensor4D,
  labels: tf.Tensor3D,
  loss: LossFn,
): number {
  const vars = trainableVariables(model);
  const cost = optimizer.minimize(
    () => {
      const out = model.apply(images, { training: true });
      // A model with an auxiliary head returns [main, aux]; the loss function gets the main one here.
      const logits = (Array.isArray(out) ? out[0] : out) as tf.Tensor4D;
      return loss(logits, labels);
    },
    true,
    vars,
  );
  const value = cost!.dataSync()[0]!;
  cost!.dispose();
  return value;
}
