/**
 * What seg bench runs: every model the architecture packages register (or
 * --models), each at its own default input, channels and classes.
 */
import type { ModelSpec } from '@seg/core';
import { UsageError } from './errors.js';
import { findModel, listModels } from './registry.js';

export interface BenchTarget {
  spec: ModelSpec;
  size: [number, number];
  channels: number;
  classes: number;
}

/** A training step's input unless --size: where PyTorch's reference steps were timed (ModelSpec.pytorchMs). */
export const TRAIN_SIZE: [number, number] = [256, 256];

export async function benchTargets(o: { models?: string[]; size?: [number, number]; train: boolean }): Promise<BenchTarget[]> {
  const names = o.models ?? (await listModels()).filter((m) => m.available).map((m) => m.name);
  const targets: BenchTarget[] = [];
  for (const name of names) {
    const spec = await findModel(name);
    const input = spec.input;
    const size = o.size ?? (o.train ? TRAIN_SIZE : input ? [input[0], input[1]] : undefined);
    if (!size) throw new UsageError(`seg bench --models ${name} needs --size HxW.`);
    targets.push({ spec, size, channels: input?.[2] ?? 3, classes: spec.classes ?? 2 });
  }
  return targets;
}
