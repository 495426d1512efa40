/**
 * Which zoo models can be built here: an architecture package is loaded
 * when it is installed; one that is not is listed as unavailable.
 */
import { ZOO, type ZooEntry } from '@seg/core';

export interface ModelListing {
  name: string;
  package: string;
  params: number;
  input: [number, number];
  classes: number;
  available: boolean;
}

async function packageLoads(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

export async function listModels(): Promise<ModelListing[]> {
  const packages = [...new Set(ZOO.map((e) => e.package))];
  const loaded = new Map(await Promise.all(packages.map(async (p) => [p, await packageLoads(p)] as const)));
  return ZOO.map((e: ZooEntry) => ({
    name: e.name,
    package: e.package,
    params: e.params,
    input: [e.input[0], e.input[1]],
    classes: e.classes,
    available: loaded.get(e.package) ?? false,
  }));
}
