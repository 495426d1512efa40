/**
 * The model registry: each architecture package registers its zoo names
 * (ZOO.md) with a builder; the CLI and benchmarks look them up here.
 */
import type { tfl } from '../engine/tf.js';
import { seededBuild } from '../layers/seeds.js';
import { InputError } from '../errors/input-error.js';
import { assertPretrainedAvailable, type Pretrained } from '../backbones/pretrained.js';
import { registered as models } from './registered.js';

export interface BuildOptions {
  classes?: number;
  /** Input [height, width]; null dims where the model accepts any size. */
  size?: [number | null, number | null];
  channels?: number;
  width?: number;
  seed?: number;
  /** Start the backbone from these weights (models whose spec lists them in `pretrained`). */
  pretrained?: Pretrained;
  /** Build the training-only auxiliary heads too (models whose spec has `auxiliaryLosses`). */
  auxiliary?: boolean;
}

export interface ModelSpec {
  name: string;
  package: string;
  build: (o?: BuildOptions) => tfl.LayersModel;
  /** Valid-convolution models segment large images with overlap-tile at this input size. */
  tile?: [number, number];
  /**
   * Default input [h, w, c] and classes of a model that is not in ZOO.md (a
   * paper's variant, e.g. SegNet-Basic): `seg models` lists it with these.
   */
  input?: [number, number, number];
  classes?: number;
  /** Models whose input sides are constrained (U-Net's even size at every pooling): the rule, and the test of one side. */
  inputSides?: { rule: string; valid: (side: number) => boolean };
  /**
   * Models that take only sides divisible by this (skips joined uncropped
   * after that much pooling: U-Net with padded convolutions): training
   * checks --size against it (it gives `inputSides`), inference and
   * evaluation pad other sizes up to it and crop the logits back.
   */
  sizeMultiple?: number;
  /** The backbone's name (`resnet50`, `vgg16` ...), for the sentence that refuses weights it lacks. */
  backbone?: string;
  /** The pretrained weights its builder accepts (BuildOptions.pretrained). */
  pretrained?: Pretrained[];
  /** Layers of its pretrained backbone (a regular expression), for a lower learning rate there. */
  backboneLayers?: string;
  /**
   * The paper's loss weight of each auxiliary output (models/auxiliary.ts),
   * by output name, e.g. PSPNet's { aux_upsample: 0.4 }; built when
   * BuildOptions.auxiliary is set.
   */
  auxiliaryLosses?: Record<string, number>;
}

/** One sentence (an InputError) unless `spec` accepts `pretrained` weights. */
export function checkPretrained(spec: ModelSpec, pretrained: string): void {
  if (spec.pretrained?.includes(pretrained as Pretrained)) return;
  if (spec.backbone) assertPretrainedAvailable(spec.backbone, pretrained, spec.name);
  const takers = [...models.values()].filter((m) => m.pretrained?.length).map((m) => m.name);
  throw new InputError(`${spec.name} has no pretrained backbone, so it trains from scratch; the models that take ImageNet weights are ${takers.join(', ') || 'none installed'}.`);
}


/** Registers a zoo model; its builder runs with every initializer seeded from BuildOptions.seed (0 when unset). */
export function registerModel(spec: ModelSpec): void {
  const m = spec.sizeMultiple;
  const sides = spec.inputSides ?? (m && m > 1 ? { rule: `each side must be a multiple of ${m} (its skips join the upsampled features uncropped)`, valid: (s: number) => s > 0 && s % m === 0 } : undefined);
  models.set(spec.name, { ...spec, ...(sides ? { inputSides: sides } : {}), build: (o) => seededBuild(o?.seed ?? 0, () => spec.build(o)) });
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
