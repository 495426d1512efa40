/**
 * Save and load tfjs models as model.json + weights.bin in a folder, with no
 * tfjs-node. Saving is atomic: the files go to a temporary folder that is
 * renamed over the target, so a crash never leaves a half-written model.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../engine/tf.js';
import { InputError } from '../errors/input-error.js';
import { writeError } from './write-error.js';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function joinWeights(data: tf.io.WeightData): ArrayBuffer {
  return tf.io.CompositeArrayBuffer.join(data);
}

/** Replaces `dir` with the files written by `fill` into a sibling temporary folder. */
export async function writeFolderAtomically(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  await mkdir(parent, { recursive: true });
  const tmp = `${path.resolve(dir)}.tmp-${process.pid}-${Date.now()}`;
  const old = `${path.resolve(dir)}.old-${process.pid}-${Date.now()}`;
  try {
    await mkdir(tmp, { recursive: true });
    await fill(tmp);
    if (existsSync(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw writeError(err, dir);
  }
}

/**
 * Undoes what a process killed inside writeFolderAtomically left behind:
 * temporary folders are removed, and when it died between its two renames
 * (`dir` moved aside, the new copy not yet in place) the kept copy is put
 * back. Call it only while no other process writes `dir` (a locked run).
 * Returns what it did, for a log line.
 */
export async function recoverFolder(dir: string): Promise<{ removed: string[]; restored?: string }> {
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(path.resolve(dir));
  const siblings = existsSync(parent) ? await readdir(parent) : [];
  const temps = siblings.filter((f) => f.startsWith(`${base}.tmp-`));
  const olds = siblings.filter((f) => f.startsWith(`${base}.old-`)).sort((a, b) => stamp(b) - stamp(a));
  let restored: string | undefined;
  if (!existsSync(dir) && olds.length > 0) {
    restored = path.join(parent, olds.shift()!);
    await rename(restored, dir);
  }
  const removed = [...temps, ...olds].map((f) => path.join(parent, f));
  for (const f of removed) await rm(f, { recursive: true, force: true });
  return { removed, ...(restored ? { restored } : {}) };
}

/** The Date.now() suffix writeFolderAtomically gives its folders. */
const stamp = (name: string) => Number(name.split('-').pop()) || 0;

/** Bytes that weight specs describe (what their .bin must hold). */
export function weightBytes(specs: tf.io.WeightsManifestEntry[]): number {
  const bytesPer = (d: string) => (d === 'bool' || d === 'uint8' ? 1 : d === 'float16' ? 2 : 4);
  return specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * bytesPer(s.quantization?.dtype ?? s.dtype), 0);
}

export function fileSystem(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = artifacts.weightData ? joinWeights(artifacts.weightData) : new ArrayBuffer(0);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await writeFolderAtomically(dir, async (tmp) => {
        await writeFile(path.join(tmp, MODEL_JSON), JSON.stringify(modelJson));
        await writeFile(path.join(tmp, WEIGHTS_BIN), Buffer.from(weights));
      });
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.byteLength,
        },
      };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = path.join(dir, MODEL_JSON);
      let parsed: {
        modelTopology: object;
        format?: string;
        generatedBy?: string;
        convertedBy?: string;
        weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
        userDefinedMetadata?: { [key: string]: {} };
      };
      try {
        parsed = JSON.parse(await readFile(jsonPath, 'utf8'));
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not valid JSON';
        throw new InputError(`${jsonPath} ${why}.`);
      }
      if (!parsed || typeof parsed.modelTopology !== 'object' || parsed.modelTopology === null) {
        throw new InputError(`${jsonPath} holds no model topology (its "modelTopology" is missing); it is not a saved model.`);
      }
      const manifest = parsed.weightsManifest;
      if (!Array.isArray(manifest) || manifest.some((g) => !Array.isArray(g?.paths) || !Array.isArray(g?.weights))) {
        throw new InputError(`${jsonPath} has no valid "weightsManifest" (a list of { paths, weights }); it is not a saved model.`);
      }
      const weightSpecs = manifest.flatMap((g) => g.weights);
      const buffers = await Promise.all(
        manifest.flatMap((g) => g.paths).map((p) =>
          readFile(path.join(dir, p)).catch((err: NodeJS.ErrnoException) => {
            throw new InputError(`${path.join(dir, p)} ${err.code === 'ENOENT' ? 'is missing' : `cannot be read (${err.code ?? err.message})`}; ${jsonPath} names it as its weights.`);
          }),
        ),
      );
      const joined = Buffer.concat(buffers);
      const expected = weightBytes(weightSpecs);
      if (joined.byteLength !== expected) {
        throw new InputError(`${path.join(dir, manifest[0]?.paths[0] ?? WEIGHTS_BIN)} holds ${joined.byteLength} bytes but model.json describes ${expected}; the checkpoint is corrupt.`);
      }
      return {
        modelTopology: parsed.modelTopology,
        format: parsed.format,
        generatedBy: parsed.generatedBy,
        convertedBy: parsed.convertedBy,
        weightSpecs,
        weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength),
        userDefinedMetadata: parsed.userDefinedMetadata,
      };
    },
  };
}

export async function saveModel(model: { save: (h: tf.io.IOHandler) => Promise<tf.io.SaveResult> }, dir: string) {
  return model.save(fileSystem(dir));
}
