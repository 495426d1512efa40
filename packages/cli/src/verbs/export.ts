import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { tfl } from '@seg/core';
import { parseVerbArgs } from '../args.js';
import type { StartEngine } from '../engine-line.js';
import { UsageError } from '../errors.js';
import { checkModelName, findModel } from '../registry.js';
import { loadTrainedModel, parsePositive, parseSize, trainedModelDir } from '../load.js';

export const help = `seg export --model NAME | --run RUN | --weights DIR --out FILE.onnx
           [--size HxW] [--classes N] [--batch N] [--json]

Writes the model as an ONNX graph (opset 13) that onnxruntime-node runs with
the same outputs: input "input" float32 [N, C, H, W], output "logits"
[N, classes, H', W'] (NCHW, like a PyTorch export), at one fixed size:
--size, else the model's own (its registered default input). --model
exports a zoo model as built (freshly initialised); --run / --weights a
trained one.`;

export async function run(argv: string[], out: (s: string) => void, _err: unknown, engine: StartEngine): Promise<void> {
  const { values: v } = parseVerbArgs('export', argv, {
    model: { type: 'string' },
    run: { type: 'string' },
    weights: { type: 'string' },
    out: { type: 'string' },
    size: { type: 'string' },
    classes: { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (typeof v.out !== 'string') throw new UsageError('seg export needs --out FILE.onnx; see seg export --help.');
  if (v.model && (v.run || v.weights)) throw new UsageError('Give either --model or --run/--weights, not both.');
  let size = parseSize(v.size as string | undefined);
  const batch = parsePositive(v.batch as string | undefined, '--batch', 1);
  if (typeof v.model === 'string') {
    checkModelName(v.model);
    if (v.classes !== undefined) parsePositive(v.classes as string, '--classes', 0);
  } else {
    if (v.classes !== undefined) throw new UsageError('--classes applies to --model only: a trained model keeps its classes.');
    trainedModelDir(v.run as string | undefined, v.weights as string | undefined);
  }
  await engine();
  const { atomicWriteFile, checkInputSize, exportOnnx, packageVersions, writeError } = await import('@seg/core');
  let model: tfl.LayersModel;
  if (typeof v.model === 'string') {
    const spec = await findModel(v.model);
    const defaults = spec.input;
    size ??= defaults ? [defaults[0], defaults[1]] : undefined;
    if (!size) throw new UsageError(`seg export --model ${spec.name} needs --size HxW.`);
    const classes = parsePositive(v.classes as string | undefined, '--classes', spec.classes ?? 2);
    checkInputSize(spec, size);
    model = spec.build({ classes, size, channels: defaults?.[2] });
  } else {
    model = await loadTrainedModel(v.run as string | undefined, v.weights as string | undefined);
  }
  let e;
  try {
    e = exportOnnx(model, { size, batch, version: packageVersions(['@seg/core'], import.meta.url)['@seg/core'] });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\.$/, '')}.`);
  } finally {
    model.dispose();
  }
  const file = path.resolve(v.out);
  await mkdir(path.dirname(file), { recursive: true }).catch((err) => {
    throw writeError(err, path.dirname(file));
  });
  // Written beside the target and renamed: an interrupted export leaves no half file (atomicWriteFile names the file on failure).
  await atomicWriteFile(file, e.bytes);
  const r = { file: v.out, opset: e.opset, inputs: e.inputs, outputs: e.outputs };
  out(v.json ? JSON.stringify(r) : `${r.file}: opset ${r.opset}, input ${e.inputs[0]!.name} [${e.inputs[0]!.shape.join(', ')}], output ${e.outputs[0]!.name} [${e.outputs[0]!.shape.join(', ')}] (${(e.bytes.length / 2 ** 20).toFixed(1)} MiB)`);
}
