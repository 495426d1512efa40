/**
 * Save and load tfjs models as model.json + weights.bin in a folder, with no
 * tfjs-node. Saving is atomic: the files go to a temporary folder that is
 * renamed over the target, so a crash never leaves a half-written model.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../engine/tf.js';

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
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    if (existsSync(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
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
        throw new Error(`${jsonPath} ${why}.`);
      }
      const weightSpecs = parsed.weightsManifest.flatMap((g) => g.weights);
      const buffers = await Promise.all(
        parsed.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(path.join(dir, p))),
      );
      const joined = Buffer.concat(buffers);
      const bytesPer = (d: string) => (d === 'bool' || d === 'uint8' ? 1 : d === 'float16' ? 2 : 4);
      const expected = weightSpecs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * bytesPer(s.quantization?.dtype ?? s.dtype), 0);
      if (joined.byteLength !== expected) {
        throw new Error(`${path.join(dir, WEIGHTS_BIN)} holds ${joined.byteLength} bytes but model.json describes ${expected}; the checkpoint is corrupt.`);
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
