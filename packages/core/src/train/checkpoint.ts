/**
 * A run's checkpoint: model (model.json + weights.bin), optimizer state and
 * the trainer's position, written as one folder that replaces the previous
 * one atomically.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tf, tfl } from '../engine/tf.js';
import { fileSystem, writeFolderAtomically } from '../io/file-system.js';
import type { Optimizer } from './optimizer.js';

export interface TrainState {
  iter: number;
  loss: number;
  seconds: number;
}

export const checkpointDir = (runDir: string) => path.join(runDir, 'checkpoint');

export async function saveCheckpoint(runDir: string, model: tfl.LayersModel, optimizer: Optimizer, state: TrainState): Promise<void> {
  const opt = await optimizer.getState();
  const { data, specs } = await tf.io.encodeWeights(opt);
  // getWeights() makes a fresh tensor for the iteration count; the rest are the optimizer's own variables.
  for (const w of opt) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  await writeFolderAtomically(checkpointDir(runDir), async (tmp) => {
    await model.save(fileSystem(path.join(tmp, 'model')));
    await writeFile(path.join(tmp, 'optimizer.bin'), Buffer.from(tf.io.CompositeArrayBuffer.join(data)));
    await writeFile(path.join(tmp, 'optimizer.json'), JSON.stringify({ config: optimizer.config, specs }));
    await writeFile(path.join(tmp, 'state.json'), JSON.stringify(state));
  });
}

/** Reads a checkpoint's state and puts its weights into `model`; undefined when the run has none. */
export async function loadCheckpointWeights(runDir: string, model: tfl.LayersModel): Promise<TrainState | undefined> {
  const dir = checkpointDir(runDir);
  if (!existsSync(path.join(dir, 'state.json'))) return undefined;
  let state: TrainState;
  try {
    state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as TrainState;
  } catch {
    throw new Error(`Checkpoint ${path.join(dir, 'state.json')} is not valid JSON; the checkpoint is corrupt.`);
  }
  const saved = await tfl.loadLayersModel(fileSystem(path.join(dir, 'model')));
  const weights = saved.getWeights();
  const mine = model.getWeights();
  if (weights.length !== mine.length || weights.some((w, i) => w.shape.join('x') !== mine[i]!.shape.join('x'))) {
    saved.dispose();
    throw new Error(`Checkpoint ${dir} was saved from a different model; it cannot resume this run.`);
  }
  model.setWeights(weights);
  saved.dispose();
  return state;
}

/** Restores a run's weights and optimizer state (to resume it); undefined when the run has no checkpoint. */
export async function loadCheckpoint(runDir: string, model: tfl.LayersModel, optimizer: Optimizer): Promise<TrainState | undefined> {
  const state = await loadCheckpointWeights(runDir, model);
  if (!state) return undefined;
  const dir = checkpointDir(runDir);
  const { specs } = JSON.parse(await readFile(path.join(dir, 'optimizer.json'), 'utf8')) as { specs: tf.io.WeightsManifestEntry[] };
  const bin = await readFile(path.join(dir, 'optimizer.bin'));
  const map = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), specs);
  await optimizer.setState(specs.map((s) => ({ name: s.name, tensor: map[s.name]! })));
  return state;
}
