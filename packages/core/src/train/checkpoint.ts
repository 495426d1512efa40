/**
 * A run's checkpoint: model (model.json + weights.bin), optimizer state and
 * the trainer's position, written as one folder that replaces the previous
 * one atomically. Only finite weights and optimizer state are written, so
 * whatever checkpoint a run folder holds is a good one; reading one checks
 * every file and names the one that is wrong.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tf, tfl } from '../engine/tf.js';
import { InputError, TrainingDiverged } from '../errors/input-error.js';
import { fileSystem, recoverFolder, weightBytes, writeFolderAtomically } from '../io/file-system.js';
import { nonFiniteCount, nonFiniteValues } from './finite-weights.js';
import type { Optimizer } from './optimizer.js';

export interface TrainState {
  iter: number;
  loss: number;
  seconds: number;
}

export const checkpointDir = (runDir: string) => path.join(runDir, 'checkpoint');

/** The model's artifacts in memory (what model.save would write). */
async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured!;
}

/**
 * Writes the checkpoint, or throws TrainingDiverged (and writes nothing)
 * when a weight or an optimizer slot is not finite: the previous checkpoint
 * stays the last good one.
 */
export async function saveCheckpoint(runDir: string, model: tfl.LayersModel, optimizer: Optimizer, state: TrainState): Promise<void> {
  const artifacts = await artifactsOf(model);
  const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
  const opt = await optimizer.getState();
  const { data, specs } = await tf.io.encodeWeights(opt);
  // getWeights() makes a fresh tensor for the iteration count; the rest are the optimizer's own variables.
  for (const w of opt) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  const optData = tf.io.CompositeArrayBuffer.join(data);
  const badWeights = nonFiniteCount(artifacts.weightSpecs ?? [], weightData);
  const badSlots = nonFiniteCount(specs, optData);
  if (badWeights + badSlots > 0) {
    throw new TrainingDiverged(
      `${badWeights} weights and ${badSlots} optimizer values are not finite after iteration ${state.iter}, so no checkpoint was written for it`,
    );
  }
  await writeFolderAtomically(checkpointDir(runDir), async (tmp) => {
    await fileSystem(path.join(tmp, 'model')).save!({ ...artifacts, weightData });
    await writeFile(path.join(tmp, 'optimizer.bin'), Buffer.from(optData));
    await writeFile(path.join(tmp, 'optimizer.json'), JSON.stringify({ config: optimizer.config, specs }));
    await writeFile(path.join(tmp, 'state.json'), JSON.stringify(state));
  });
}

/**
 * Makes a run folder's checkpoint consistent after a kill: temporary
 * folders of an interrupted write are removed, and a checkpoint moved aside
 * by a write that died before putting the new one in place is restored.
 */
export function recoverCheckpoint(runDir: string) {
  return recoverFolder(checkpointDir(runDir));
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`Checkpoint file ${file} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`}; ${what}.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(`Checkpoint file ${file} is not valid JSON; ${what}.`);
  }
}

const FIX = 'delete the checkpoint folder to start the run over';

function checkState(file: string, s: unknown): TrainState {
  const o = s as Partial<Record<keyof TrainState, unknown>> | null;
  const ok =
    o !== null &&
    typeof o === 'object' &&
    Number.isInteger(o.iter) &&
    (o.iter as number) >= 0 &&
    typeof o.loss === 'number' &&
    typeof o.seconds === 'number' &&
    Number.isFinite(o.seconds);
  if (!ok) throw new InputError(`Checkpoint file ${file} must hold { iter: integer >= 0, loss: number, seconds: number } (got ${JSON.stringify(s)}); ${FIX}.`);
  return { iter: o.iter as number, loss: o.loss as number, seconds: o.seconds as number };
}

/** Throws one sentence when a loaded model's weights are not all finite (a run saved after it diverged). */
export async function assertFiniteWeights(model: tfl.LayersModel, where: string): Promise<void> {
  let bad = 0;
  for (const w of model.getWeights()) {
    if (w.dtype !== 'float32') continue;
    bad += nonFiniteValues((await w.data()) as Float32Array);
  }
  if (bad > 0) throw new InputError(`${where} holds ${bad} weights that are not finite (it was saved after training diverged); it cannot be used.`);
}

/** Reads a checkpoint's state and puts its weights into `model`; undefined when the run has none. */
export async function loadCheckpointWeights(runDir: string, model: tfl.LayersModel): Promise<TrainState | undefined> {
  const dir = checkpointDir(runDir);
  if (!existsSync(dir)) return undefined;
  const stateFile = path.join(dir, 'state.json');
  const state = checkState(stateFile, await readJson(stateFile, FIX));
  let saved: tfl.LayersModel;
  try {
    saved = await tfl.loadLayersModel(fileSystem(path.join(dir, 'model')));
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${err.message.replace(/\.$/, '')}; ${FIX}.`);
    throw new InputError(`Checkpoint ${path.join(dir, 'model', 'model.json')} cannot be loaded (${(err as Error).message.replace(/\.$/, '')}); ${FIX}.`);
  }
  try {
    await assertFiniteWeights(saved, `Checkpoint ${dir}`);
    const weights = saved.getWeights();
    const mine = model.getWeights();
    if (weights.length !== mine.length || weights.some((w, i) => w.shape.join('x') !== mine[i]!.shape.join('x'))) {
      throw new InputError(`Checkpoint ${dir} was saved from a different model; it cannot resume this run (give another --out, or ${FIX}).`);
    }
    model.setWeights(weights);
  } finally {
    saved.dispose();
  }
  return state;
}

/** Restores a run's weights and optimizer state (to resume it); undefined when the run has no checkpoint. */
export async function loadCheckpoint(runDir: string, model: tfl.LayersModel, optimizer: Optimizer): Promise<TrainState | undefined> {
  const dir = checkpointDir(runDir);
  const state = await loadCheckpointWeights(runDir, model);
  if (!state) return undefined;
  const jsonFile = path.join(dir, 'optimizer.json');
  const json = (await readJson(jsonFile, FIX)) as { specs?: unknown } | null;
  const specs = json?.specs;
  const validSpec = (s: unknown) => {
    const e = s as Partial<tf.io.WeightsManifestEntry> | null;
    return e !== null && typeof e === 'object' && typeof e.name === 'string' && Array.isArray(e.shape) && e.shape.every((d) => Number.isInteger(d) && d >= 0) && typeof e.dtype === 'string';
  };
  if (!Array.isArray(specs) || !specs.every(validSpec)) {
    throw new InputError(`Checkpoint file ${jsonFile} has no valid "specs" (a list of { name, shape, dtype }); ${FIX}.`);
  }
  const entries = specs as tf.io.WeightsManifestEntry[];
  const binFile = path.join(dir, 'optimizer.bin');
  const bin = await readFile(binFile).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`Checkpoint file ${binFile} ${err.code === 'ENOENT' ? 'is missing' : `cannot be read (${err.code})`}; ${FIX}.`);
  });
  const expected = weightBytes(entries);
  if (bin.byteLength !== expected) throw new InputError(`Checkpoint file ${binFile} holds ${bin.byteLength} bytes but ${jsonFile} describes ${expected}; ${FIX}.`);
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const bad = nonFiniteCount(entries, buffer);
  if (bad > 0) throw new InputError(`Checkpoint file ${binFile} holds ${bad} optimizer values that are not finite; ${FIX}.`);
  const map = tf.io.decodeWeights(buffer, entries);
  try {
    await optimizer.setState(entries.map((s) => ({ name: s.name, tensor: map[s.name]! })));
  } catch (err) {
    throw new InputError(`Checkpoint file ${jsonFile} does not fit the ${optimizer.config.name} optimizer (${(err as Error).message.replace(/\.$/, '')}); ${FIX}.`);
  }
  return state;
}
