/**
 * Which zoo models can be built here: an architecture package registers its
 * models when it is imported; one that is not installed is listed as
 * unavailable.
 */
import { ZOO, countTrainableParams, modelSpec, registeredModels, type ModelSpec } from '@seg/core';
import { UsageError } from './errors.js';

export interface ModelListing {
  name: string;
  package: string;
  params: number;
  input: [number, number];
  classes: number;
  available: boolean;
  /** Pretrained weights it accepts (`seg train --pretrained`). */
  pretrained: string[];
  /** Loss weight of each training-only auxiliary head, by output name (`seg train --aux-weight`). */
  auxiliary: Record<string, number>;
  /** Trainable parameters with the auxiliary heads (ZOO.md), where the model has them. */
  params_with_aux?: number;
}

let loaded: Promise<void> | undefined;

/** Imports every architecture package that is installed (each registers its models). */
export function loadPackages(): Promise<void> {
  loaded ??= (async () => {
    for (const pkg of new Set(ZOO.map((e) => e.package))) {
      try {
        await import(pkg);
      } catch {
        // not installed: its models are listed as unavailable
      }
    }
  })();
  return loaded;
}

export async function listModels(): Promise<ModelListing[]> {
  await loadPackages();
  return ZOO.map((e) => ({
    name: e.name,
    package: e.package,
    params: e.params,
    input: [e.input[0], e.input[1]],
    classes: e.classes,
    available: modelSpec(e.name) !== undefined,
    pretrained: modelSpec(e.name)?.pretrained ?? [],
    auxiliary: modelSpec(e.name)?.auxiliaryLosses ?? {},
    ...(e.paramsWithAux ? { params_with_aux: e.paramsWithAux } : {}),
  }));
}

/** Paper variants the installed packages register beside ZOO.md's names (each built once to count its parameters). */
export async function listVariants(): Promise<ModelListing[]> {
  await loadPackages();
  const zoo = new Set(ZOO.map((e) => e.name));
  return registeredModels()
    .filter((s) => !zoo.has(s.name) && s.input)
    .map((s) => {
      const [h, w, c] = s.input!;
      const model = s.build({ size: [h, w], channels: c, classes: s.classes });
      const params = countTrainableParams(model);
      model.dispose();
      return { name: s.name, package: s.package, params, input: [h, w] as [number, number], classes: s.classes ?? 0, available: true, pretrained: s.pretrained ?? [], auxiliary: s.auxiliaryLosses ?? {} };
    });
}

export async function findModel(name: string): Promise<ModelSpec> {
  await loadPackages();
  const spec = modelSpec(name);
  if (spec) return spec;
  const zoo = ZOO.find((e) => e.name === name);
  if (zoo) throw new UsageError(`Model ${name} needs ${zoo.package}, which is not installed.`);
  throw new UsageError(`Unknown model "${name}" (--model); seg models lists them.`);
}
