/** Shared by eval and predict: the trained model named by --run or --weights. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { assertFiniteWeights, fileSystem, InputError, loadOnnxRuntime, OnnxNetwork, tfl, type InferOptions, type Network } from '@seg/core';
import { UsageError } from './errors.js';

export async function loadTrainedModel(run: string | undefined, weights: string | undefined): Promise<tfl.LayersModel> {
  if (!run && !weights) throw new UsageError('Give the model to use with --run RUN or --weights DIR.');
  if (run && weights) throw new UsageError('Give either --run or --weights, not both.');
  const dir = run ? path.join(run, 'checkpoint', 'model') : weights!;
  const flag = run ? '--run' : '--weights';
  const root = (run ?? weights)!;
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${flag} folder ${root} does not exist.`);
  if (!existsSync(path.join(dir, 'model.json'))) throw new UsageError(`${flag} ${root} holds no saved model (${path.join(dir, 'model.json')} is missing).`);
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(fileSystem(dir));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${path.join(dir, 'model.json')} cannot be loaded as a model (${(err as Error).message.replace(/\.$/, '')}).`);
  }
  await assertFiniteWeights(model, `The model in ${dir}`);
  return model;
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

/**
 * --engine: tfjs (the backend SEG_BACKEND picks) or onnx (the model exported
 * to ONNX in memory and run by onnxruntime-node, one graph per input size).
 * Pre- and post-processing are the same either way (@seg/core's infer).
 */
export async function inferenceEngine(model: tfl.LayersModel, engine: unknown): Promise<{ net: tfl.LayersModel | Network; close: () => Promise<void> }> {
  const name = engine ?? 'tfjs';
  if (name === 'tfjs') return { net: model, close: async () => {} };
  if (name !== 'onnx') throw new UsageError(`--engine must be one of ${ENGINES.join(', ')} (got "${String(name)}").`);
  await loadOnnxRuntime();
  const net = new OnnxNetwork(model);
  return { net, close: () => net.dispose() };
}
