/**
 * Models with auxiliary heads (deep supervision, e.g. PSPNet's head on
 * layer3, Zhao et al. 2017 Sec. 3.3): the first output is the prediction,
 * every further output is a named head that only training uses. The trainer
 * weighs each by name (TrainConfig.auxiliaryLosses); inference and export
 * take the model without them.
 */
import { tfl } from '../engine/tf.js';
import { InputError } from '../errors/input-error.js';

/** The names of a model's auxiliary outputs (its output layers after the first). */
export function auxiliaryOutputs(model: tfl.LayersModel): string[] {
  return model.outputLayers.slice(1).map((l) => l.name);
}

/**
 * The inference graph: the same layers and weights with only the first
 * output, so the auxiliary heads are neither computed nor exported. A model
 * without auxiliary outputs is returned as it is.
 */
export function withoutAuxiliary(model: tfl.LayersModel): tfl.LayersModel {
  if (model.outputs.length === 1) return model;
  // One inference graph per model: infer() asks for it once per image.
  let net = inferenceGraphs.get(model);
  if (!net) {
    net = tfl.model({ inputs: model.inputs, outputs: model.outputs[0]!, name: model.name });
    inferenceGraphs.set(model, net);
  }
  return net;
}

const inferenceGraphs = new WeakMap<tfl.LayersModel, tfl.LayersModel>();

/**
 * Output index and loss weight of each auxiliary output, from weights by
 * output name. Every auxiliary output needs a weight (0 leaves it out of the
 * loss) and every weight an output: a typo must not train silently without
 * its head.
 */
export function auxiliaryLossWeights(model: tfl.LayersModel, weights: Record<string, number> = {}): { index: number; name: string; weight: number }[] {
  const names = auxiliaryOutputs(model);
  for (const [name, w] of Object.entries(weights)) {
    if (!names.includes(name)) {
      const has = names.length ? `its auxiliary outputs are ${names.join(', ')}` : 'it has no auxiliary outputs';
      throw new InputError(`The auxiliary loss weight for "${name}" names no output of ${model.name}; ${has}.`);
    }
    if (!Number.isFinite(w) || w < 0) throw new InputError(`The auxiliary loss weight for "${name}" must be a non-negative number (got ${w}).`);
  }
  return names.map((name, i) => {
    const weight = weights[name];
    if (weight === undefined) throw new InputError(`${model.name} has an auxiliary output "${name}" with no loss weight; give it one in auxiliaryLosses (0 to leave it out).`);
    return { index: i + 1, name, weight };
  });
}
