/**
 * Which zoo models can be built here: an architecture package registers its
 * models when it is imported; one that is not installed is listed as
 * unavailable. Importing them loads tfjs, so a name is first checked
 * against the models each package declares in its package.json
 * (`"seg": { "models": [...] }`; a test keeps the two in step).
 */
import { createRequire } from 'node:module';
import type { ModelSpec } from '@seg/core';
import { registeredModelNames, ZOO } from '@seg/core/names';
import { UsageError } from './errors.js';
import { didYouMean } from '@seg/core/names';

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

const ZOO_PACKAGES = [...new Set(ZOO.map((e) => e.package))];

function packageJson(pkg: string): { seg?: { models?: string[] } } | undefined {
  try {
    return createRequire(import.meta.url)(`${pkg}/package.json`) as { seg?: { models?: string[] } };
  } catch {
    return undefined; // not installed
  }
}

/** The models an installed architecture package declares it registers (undefined: not installed, or declares none). */
export function declaredModels(pkg: string): string[] | undefined {
  return packageJson(pkg)?.seg?.models;
}

function unknownModel(name: string, names: string[]): UsageError {
  return new UsageError(`Unknown model "${name}" (--model); ${didYouMean(name, names) || 'seg models lists them.'}`);
}

/**
 * Refuses a model name that no installed package builds, without loading
 * one. Models registered in this process (a library user's own) count too;
 * where an installed package declares no names, an unknown name is left to
 * findModel.
 */
export function checkModelName(name: string): void {
  const known: string[] = registeredModelNames();
  let complete = true;
  for (const pkg of ZOO_PACKAGES) {
    const zoo = ZOO.filter((e) => e.package === pkg).map((e) => e.name);
    const json = packageJson(pkg);
    if (!json && zoo.includes(name) && !known.includes(name)) throw new UsageError(`Model ${name} needs ${pkg}, which is not installed.`);
    if (json && !json.seg?.models) complete = false;
    known.push(...(json?.seg?.models ?? zoo));
  }
  if (complete && !known.includes(name)) throw unknownModel(name, known);
}

let loaded: Promise<void> | undefined;

/** Imports every architecture package that is installed (each registers its models). */
export function loadPackages(): Promise<void> {
  loaded ??= (async () => {
    for (const pkg of ZOO_PACKAGES) {
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
  const { modelSpec } = await import('@seg/core');
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
  const { countTrainableParams, registeredModels } = await import('@seg/core');
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
  const { modelSpec, registeredModels } = await import('@seg/core');
  const spec = modelSpec(name);
  if (spec) return spec;
  const zoo = ZOO.find((e) => e.name === name);
  if (zoo) throw new UsageError(`Model ${name} needs ${zoo.package}, which is not installed.`);
  throw unknownModel(name, [...new Set([...ZOO.map((e) => e.name), ...registeredModels().map((s) => s.name)])]);
}
