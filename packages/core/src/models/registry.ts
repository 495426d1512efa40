/**
 * The model registry: each architecture package registers its zoo names
 * (ZOO.md) with a builder; the CLI and benchmarks look them up here.
 */
import type { tfl } from '../engine/tf.js';
import { seededBuild } from '../layers/seeds.js';

export interface BuildOptions {
  classes?: number;
  /** Input [height, width]; null dims where the model accepts any size. */
  size?: [number | null, number | null];
  channels?: number;
  width?: number;
  seed?: number;
}

export interface ModelSpec {
  name: string;
  package: string;
  build: (o?: BuildOptions) => tfl.LayersModel;
  /** Valid-convolution models segment large images with overlap-tile at this input size. */
  tile?: [number, number];
}

const models = new Map<string, ModelSpec>();

/** Registers a zoo model; its builder runs with every initializer seeded from BuildOptions.seed (0 when unset). */
export function registerModel(spec: ModelSpec): void {
  models.set(spec.name, { ...spec, build: (o) => seededBuild(o?.seed ?? 0, () => spec.build(o)) });
}

export function modelSpec(name: string): ModelSpec | undefined {
  return models.get(name);
}

export function registeredModels(): ModelSpec[] {
  return [...models.values()];
}
