/**
 * Where a model's randomness comes from, so that one seed reproduces a run.
 *
 * tfjs reads a seed of 0 as "no seed" (`seed ? seed : Math.random()`), and an
 * initializer given none draws from Math.random. Initial weights are seeded
 * one way only: inside `seededBuild(seed, fn)` every random initializer
 * takes the next value of a stream derived from `seed`, in construction
 * order. Layers and blocks take no seed of their own; a model, or a test's
 * small net, that needs reproducible weights is built inside seededBuild.
 * Built outside one, its initializers draw from Math.random.
 *
 * Dropout masks are drawn from (the run's seed, the iteration, the layer's
 * name), which the trainer sets before each step: a resumed run draws the
 * masks an uninterrupted one would, and each step draws new ones.
 */
let scope: { seed: number; count: number } | undefined;
let step: { seed: number; iter: number } | undefined;

/** A nonzero 32-bit hash of two integers (murmur3's finaliser). */
export function mixSeed(a: number, b: number): number {
  let h = Math.imul((a | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(((b | 0) + 0x632be5ab) | 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

/** Builds a model with every random initializer seeded from `seed` (no scope when undefined). */
export function seededBuild<T>(seed: number | undefined, build: () => T): T {
  if (seed === undefined) return build();
  const outer = scope;
  scope = { seed, count: 0 };
  try {
    return build();
  } finally {
    scope = outer;
  }
}

let overwritten: ((layer: string) => boolean) | undefined;

/**
 * Builds a model whose layers `by` names will be overwritten right after (an
 * ImageNet start): their kernels start as zeros instead of drawing random
 * values (VGG16's fc6 alone is 102M of them), while still taking their seed,
 * so every other layer gets the weights it would get otherwise.
 */
export function buildOverwriting<T>(by: ((layer: string) => boolean) | undefined, build: () => T): T {
  const outer = overwritten;
  overwritten = by;
  try {
    return build();
  } finally {
    overwritten = outer;
  }
}

/** Whether layer `name`'s weights are about to be overwritten (so not worth drawing). */
export const willBeOverwritten = (name: string) => overwritten?.(name) ?? false;

/** The seed for the next random initializer: the build's stream, or undefined (Math.random) outside seededBuild. */
export function initializerSeed(): number | undefined {
  return scope ? mixSeed(scope.seed, scope.count++) : undefined;
}

/** Called by the trainer before each step (undefined after training). */
export function setNoiseStep(seed: number | undefined, iter = 0): void {
  step = seed === undefined ? undefined : { seed, iter };
}

function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The seed of a noise layer's draw in the current step, or undefined (Math.random) outside training. */
export function noiseSeed(layerName: string): number | undefined {
  return step ? mixSeed(mixSeed(step.seed, step.iter), nameHash(layerName)) : undefined;
}
