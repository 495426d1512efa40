/**
 * The model registry: each architecture package registers its models by
 * name with a builder and what the papers state of them (docs/zoo.md); the
 * CLI, the benchmarks and the tests read them here.
 */
import { seededBuild } from '../layers/seeds.js';
import { InputError } from '../errors/input-error.js';
import { assertPretrainedAvailable, imagenetWeightsFile, type Pretrained } from '../backbones/pretrained.js';
import { registered as models } from './registered.js';
import type { BuildOptions, ModelSpec } from './model-spec.js';

export type { BuildOptions, ModelSpec } from './model-spec.js';

/** One sentence (an InputError) unless `spec` accepts `pretrained` weights and they are here. */
export function checkPretrained(spec: ModelSpec, pretrained: string): void {
  if (spec.pretrained?.includes(pretrained as Pretrained)) {
    // The start's file: one sentence with the command that gets it, before any data is read.
    if (pretrained === 'imagenet' && spec.backbone) imagenetWeightsFile(spec.backbone);
    return;
  }
  if (spec.backbone) assertPretrainedAvailable(spec.backbone, pretrained, spec.name);
  const takers = [...models.values()].filter((m) => m.pretrained?.length).map((m) => m.name);
  throw new InputError(`${spec.name} has no pretrained backbone, so it trains from scratch; the models that take ImageNet weights are ${takers.join(', ') || 'none installed'}.`);
}


/**
 * Registers a model. Its builder runs with every initializer seeded from
 * BuildOptions.seed (0 when unset), and takes the stated input and classes
 * where the options leave them out, so those are the defaults everywhere.
 */
export function registerModel(spec: ModelSpec): void {
  const m = spec.sizeMultiple;
  const sides = spec.inputSides ?? (m && m > 1 ? { rule: `each side must be a multiple of ${m} (its skips join the upsampled features uncropped)`, valid: (s: number) => s > 0 && s % m === 0 } : undefined);
  const [h, w, c] = spec.input ?? [];
  const defaults: BuildOptions = { ...(h && w ? { size: [h, w] } : {}), ...(c ? { channels: c } : {}), ...(spec.classes ? { classes: spec.classes } : {}) };
  const withDefaults = (o: BuildOptions = {}): BuildOptions => ({ ...defaults, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) });
  models.set(spec.name, { ...spec, ...(sides ? { inputSides: sides } : {}), build: (o) => seededBuild(o?.seed ?? 0, () => spec.build(withDefaults(o))) });
}

/**
 * Throws one sentence when `size` breaks the model's input rule, naming the
 * nearest valid sides below and above each bad one.
 */
export function checkInputSize(spec: ModelSpec, size: [number, number], flag = '--size'): void {
  const rule = spec.inputSides;
  if (!rule) return;
  const bad = size.filter((s) => !rule.valid(s));
  if (bad.length === 0) return;
  const nearest = (s: number) => {
    let lo = s - 1;
    while (lo > 0 && !rule.valid(lo)) lo--;
    let hi = s + 1;
    while (!rule.valid(hi)) hi++;
    return lo > 0 ? `${lo} or ${hi}` : `${hi}`;
  };
  const sides = [...new Set(bad)].map((s) => `${s} (nearest valid: ${nearest(s)})`).join(', ');
  throw new InputError(`${flag} ${size.join('x')} does not fit ${spec.name}: ${rule.rule}; not ${sides}.`);
}

export function modelSpec(name: string): ModelSpec | undefined {
  return models.get(name);
}

export function registeredModels(): ModelSpec[] {
  return [...models.values()];
}
