/**
 * What a registration states of its model beside what a build of it has:
 * the architecture packages' tests compare the two, so a stated parameter
 * count is one a faithful build reaches.
 */
import type { tfl } from '../engine/tf.js';
import { countTrainableParams } from './params.js';
import type { BuildOptions, ModelSpec } from './model-spec.js';

export interface ModelFacts {
  /** Input [h, w, c]. */
  input: number[];
  /** Classes: the logits' channels. */
  classes: number;
  /** Trainable parameters without auxiliary heads. */
  params: number;
  /** With them, for a model that has them. */
  paramsWithAux?: number;
}

/** What `spec` states (undefined where it states nothing). */
export function statedFacts(spec: ModelSpec): Partial<ModelFacts> {
  return { input: spec.input, classes: spec.classes, params: spec.params, ...(spec.auxiliaryLosses ? { paramsWithAux: spec.paramsWithAux } : {}) };
}

/**
 * The same read off builds at the stated defaults, with the logits' shape
 * (`output`, [h, w, classes]): `build` (the spec's own unless given, e.g. a
 * package's builder called without options) builds it once, and once more
 * with the auxiliary heads where it has them. A test expects it toMatchObject
 * the stated facts.
 */
export function builtFacts(spec: ModelSpec, build: (o?: BuildOptions) => tfl.LayersModel = spec.build): ModelFacts & { output: number[] } {
  const model = build();
  const output = model.outputs[0]!.shape.slice(1) as number[];
  const facts: ModelFacts & { output: number[] } = { input: model.inputs[0]!.shape.slice(1) as number[], classes: output[output.length - 1]!, params: countTrainableParams(model), output };
  model.dispose();
  if (spec.auxiliaryLosses) {
    const withAux = build({ auxiliary: true });
    facts.paramsWithAux = countTrainableParams(withAux);
    withAux.dispose();
  }
  return facts;
}
