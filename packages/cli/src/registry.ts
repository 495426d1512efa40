/**
 * The models seg can build and what the registry states of them. Names are
 * checked against the architecture packages' package.json lists before
 * anything loads; importing a package registers its models with their
 * paper, default input, classes and parameter counts (core's
 * models/registry.ts), which `seg models`, `info`, `export` and `bench` read.
 */
import type { ModelSpec } from '@seg/core';
import { didYouMean, registeredModelNames } from '@seg/core/names';
import { architecturePackages } from './architecture-packages.js';
import { UsageError } from './errors.js';

export interface ModelListing {
  name: string;
  package: string;
  /** The paper, default input and classes and trainable parameters, as registered; null where the package did not load. */
  paper: string | null;
  params: number | null;
  input: [number, number] | null;
  classes: number | null;
  available: boolean;
  /** Pretrained weights it accepts (`seg train --pretrained`). */
  pretrained: string[];
  /** Loss weight of each training-only auxiliary head, by output name (`seg train --aux-weight`). */
  auxiliary: Record<string, number>;
  /** Trainable parameters with the auxiliary heads, where the model has them. */
  params_with_aux?: number;
}

/** Every name seg knows: the architecture packages' and any registered in this process (a library user's own). */
function knownNames(): string[] {
  return [...new Set([...architecturePackages().packages.flatMap((p) => p.models), ...registeredModelNames()])];
}

function unknownModel(name: string): UsageError {
  const near = didYouMean(name, knownNames());
  if (near) return new UsageError(`Unknown model "${name}" (--model); ${near}`);
  const { missing } = architecturePackages();
  const absent = missing.length ? `, and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed` : '';
  return new UsageError(`Unknown model "${name}" (--model); seg models lists them${absent}.`);
}

/** Refuses a model name that no installed package registers, without loading one. */
export function checkModelName(name: string): void {
  if (!knownNames().includes(name)) throw unknownModel(name);
}

let loaded: Promise<void> | undefined;
/** Why each architecture package that did not load failed. */
const failures = new Map<string, Error>();

/** Imports every architecture package (each registers its models); one that fails is listed as unavailable. */
export function loadPackages(): Promise<void> {
  loaded ??= (async () => {
    for (const { name } of architecturePackages().packages) {
      try {
        await import(name);
      } catch (err) {
        failures.set(name, err as Error);
      }
    }
  })();
  return loaded;
}

/**
 * Every model of the architecture packages, the papers' configurations
 * first, then the variants they study; a package that did not load gives
 * its declared names, unavailable.
 */
export async function listModels(): Promise<ModelListing[]> {
  await loadPackages();
  const { registeredModels } = await import('@seg/core');
  const rows: { listing: ModelListing; variant: boolean }[] = [];
  for (const p of architecturePackages().packages) {
    if (failures.has(p.name)) {
      for (const name of p.models) rows.push({ listing: { name, package: p.name, paper: null, params: null, input: null, classes: null, available: false, pretrained: [], auxiliary: {} }, variant: false });
      continue;
    }
    for (const s of registeredModels().filter((m) => m.package === p.name)) rows.push({ listing: listing(s), variant: s.variant === true });
  }
  return [...rows.filter((r) => !r.variant), ...rows.filter((r) => r.variant)].map((r) => r.listing);
}

function listing(s: ModelSpec): ModelListing {
  return {
    name: s.name,
    package: s.package,
    paper: s.paper ?? null,
    params: s.params ?? null,
    input: s.input ? [s.input[0], s.input[1]] : null,
    classes: s.classes ?? null,
    available: true,
    pretrained: s.pretrained ?? [],
    auxiliary: s.auxiliaryLosses ?? {},
    ...(s.paramsWithAux ? { params_with_aux: s.paramsWithAux } : {}),
  };
}

export async function findModel(name: string): Promise<ModelSpec> {
  await loadPackages();
  const { modelSpec } = await import('@seg/core');
  const spec = modelSpec(name);
  if (spec) return spec;
  const owner = architecturePackages().packages.find((p) => p.models.includes(name));
  if (!owner) throw unknownModel(name);
  const failure = failures.get(owner.name);
  if (!failure) throw new UsageError(`${owner.name} lists ${name} in its package.json but does not register it.`);
  const notInstalled = (failure as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && failure.message.includes(`'${owner.name}'`);
  throw new UsageError(`Model ${name} needs ${owner.name}, which ${notInstalled ? 'is not installed' : `did not load (${failure.message.split('\n')[0]!.replace(/\.$/, '')})`}.`);
}
