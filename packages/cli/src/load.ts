/**
 * Shared by eval and predict: the trained model named by --run or --weights.
 * Its checks run before the engine loads; @seg/core is imported only to
 * load and run the model.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { InferOptions, Network, tfl } from '@seg/core';
import { InputError } from '@seg/core/names';
import { UsageError } from './errors.js';
import { loadPackages } from './registry.js';
import { readRunConfig } from './run-config.js';

/** The folder of the saved model that --run or --weights names, once it is there. */
export function trainedModelDir(run: string | undefined, weights: string | undefined): string {
  if (!run && !weights) throw new UsageError('Give the model to use with --run RUN or --weights DIR.');
  if (run && weights) throw new UsageError('Give either --run or --weights, not both.');
  const dir = run ? path.join(run, 'checkpoint', 'model') : weights!;
  const flag = run ? '--run' : '--weights';
  const root = (run ?? weights)!;
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${flag} folder ${root} does not exist.`);
  if (!existsSync(path.join(dir, 'model.json'))) throw new UsageError(`${flag} ${root} holds no saved model (${path.join(dir, 'model.json')} is missing).`);
  return dir;
}

export async function loadTrainedModel(run: string | undefined, weights: string | undefined): Promise<tfl.LayersModel> {
  const dir = trainedModelDir(run, weights);
  const core = await import('@seg/core');
  let model: tfl.LayersModel;
  try {
    model = await core.tfl.loadLayersModel(core.fileSystem(dir));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${path.join(dir, 'model.json')} cannot be loaded as a model (${(err as Error).message.replace(/\.$/, '')}).`);
  }
  await core.assertFiniteWeights(model, `The model in ${dir}`);
  return model;
}

/**
 * The side multiple inference pads a trained model's input to (its zoo
 * model's ModelSpec.sizeMultiple): the model the run recorded, else the
 * saved model's own name (a zoo builder names its model after itself).
 */
export async function sizeMultipleOf(model: tfl.LayersModel, run: string | undefined): Promise<number | undefined> {
  await loadPackages();
  const { modelSpec } = await import('@seg/core');
  const recorded = run ? readRunConfig(run)?.model : undefined;
  return modelSpec(recorded ?? model.name)?.sizeMultiple;
}

/** A non-negative integer flag such as --seed. */
export function parseNonNegative(value: string | undefined, flag: string, fallback: number): number {
  if (value == null) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`${flag} must be a non-negative integer (got "${value}").`);
  return n;
}

export function parseSize(value: string | undefined, flag = '--size'): [number, number] | undefined {
  if (value == null) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`${flag} must be HxW, e.g. 256x256 (got "${value}").`);
  return [Number(m[1]), Number(m[2])];
}

export function parsePositive(value: string | undefined, flag: string, fallback: number, integer = true): number {
  if (value == null) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be a positive ${integer ? 'integer' : 'number'} (got "${value}").`);
  }
  return n;
}

export function parseScales(value: string | undefined): number[] | undefined {
  if (value == null) return undefined;
  const scales = value.split(',').map(Number);
  if (scales.some((s) => !Number.isFinite(s) || s <= 0)) throw new UsageError(`--scales must be positive numbers separated by commas (got "${value}").`);
  return scales;
}

/** --tile / --window / --scales / --flip as inference options (eval and predict share them). */
export function inferOptions(v: Record<string, unknown>): InferOptions {
  const tile = parseSize(v.tile as string | undefined, '--tile');
  const window = parseSize(v.window as string | undefined, '--window');
  return {
    mode: tile ? 'tile' : window ? 'slide' : 'whole',
    ...(tile ? { tile } : {}),
    ...(window ? { window } : {}),
    scales: parseScales(v.scales as string | undefined),
    flip: Boolean(v.flip),
  };
}

/** The flags eval and predict share: where the model comes from and how to infer. */
export const INFERENCE_FLAGS = {
  run: { type: 'string' },
  weights: { type: 'string' },
  tile: { type: 'string' },
  window: { type: 'string' },
  scales: { type: 'string' },
  flip: { type: 'boolean' },
  crf: { type: 'boolean' },
  engine: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const ENGINES = ['tfjs', 'onnx'] as const;
export type NetworkEngine = (typeof ENGINES)[number];

/** --engine, checked before anything loads. */
export function parseNetworkEngine(engine: unknown): NetworkEngine {
  const name = engine ?? 'tfjs';
  if (!(ENGINES as readonly unknown[]).includes(name)) throw new UsageError(`--engine must be one of ${ENGINES.join(', ')} (got "${String(name)}").`);
  return name as NetworkEngine;
}

/**
 * --engine: tfjs (the backend SEG_BACKEND picks) or onnx (the model exported
 * to ONNX in memory and run by onnxruntime-node, one graph per input size).
 * Pre- and post-processing are the same either way (@seg/core's infer).
 */
export async function inferenceEngine(model: tfl.LayersModel, engine: unknown): Promise<{ net: tfl.LayersModel | Network; close: () => Promise<void> }> {
  if (parseNetworkEngine(engine) === 'tfjs') return { net: model, close: async () => {} };
  const { loadOnnxRuntime, OnnxNetwork } = await import('@seg/core');
  await loadOnnxRuntime();
  const net = new OnnxNetwork(model);
  return { net, close: () => net.dispose() };
}
