import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { parseVerbArgs } from '../args.js';
import { UsageError } from '../errors.js';
import type { StartEngine } from '../engine-line.js';
import { INFERENCE_FLAGS, inferenceEngine, inferOptions, loadTrainedModel, parseNetworkEngine, sizeMultipleOf, trainedModelDir } from '../load.js';
import { CRF_FLAGS, crfParams } from '../crf.js';
import { refinePrediction } from '@seg/crf';

export const help = `seg predict --run RUN | --weights DIR IMAGES... --out DIR [--tile HxW] [--window HxW]
            [--scales 0.75,1,1.25] [--flip] [--crf [--bilateral W,TA,TB] [--gaussian W,TG] [--crf-iters N]]
            [--engine tfjs|onnx] [--json]

Writes, per image, the label map as an 8-bit grey PNG (NAME.mask.png: the
class index per pixel) and a colour overlay (NAME.overlay.png). --crf refines
the softmax output with the dense CRF (DeepLab v2's parameters unless given).
--engine onnx runs the model exported to ONNX through onnxruntime-node.
A model that takes only some sizes (unet-same-bn: multiples of 16) gets
other images padded to the next such size and its output cropped back.
With more than one image, progress goes to stderr.`;

/** PASCAL VOC's colour map: class k's colour from the bits of k. */
export function classColour(k: number): [number, number, number] {
  const c: [number, number, number] = [0, 0, 0];
  for (let shift = 7, v = k; v > 0; shift--, v >>= 3) {
    c[0] |= (v & 1) << shift;
    c[1] |= ((v >> 1) & 1) << shift;
    c[2] |= ((v >> 2) & 1) << shift;
  }
  return c;
}

export async function run(argv: string[], out: (s: string) => void, _err: unknown, engine: StartEngine): Promise<void> {
  const { values: v, positionals } = parseVerbArgs(
    'predict',
    argv,
    { ...INFERENCE_FLAGS, ...CRF_FLAGS, out: { type: 'string' } },
    true,
  );
  const crf = v.crf ? crfParams(v, 'crf-iters') : undefined;
  if (typeof v.out !== 'string') throw new UsageError('seg predict needs --out DIR; see seg predict --help.');
  if (positionals.length === 0) throw new UsageError('seg predict needs at least one image path.');
  for (const p of positionals) if (!existsSync(p)) throw new UsageError(`Image ${p} does not exist.`);
  // Outputs are named by the input's stem: two inputs with one stem would overwrite each other.
  const byStem = new Map<string, string>();
  for (const p of positionals) {
    const stem = path.basename(p).replace(/\.[^.]+$/, '');
    const other = byStem.get(stem);
    if (other !== undefined) throw new UsageError(`Images ${other} and ${p} would both be written as ${path.join(v.out, `${stem}.mask.png`)}; predict them into different --out folders.`);
    byStem.set(stem, p);
  }
  trainedModelDir(v.run as string | undefined, v.weights as string | undefined);
  await engine(parseNetworkEngine(v.engine));
  const { infer, readImage, TaskProgress, toUnitFloat, writeError, writePng } = await import('@seg/core');
  const model = await loadTrainedModel(v.run as string | undefined, v.weights as string | undefined);
  const channels = model.inputs[0]!.shape[3] === 1 ? 1 : 3;
  const o = { ...inferOptions(v), sizeMultiple: await sizeMultipleOf(model, v.run as string | undefined) };
  const { net, close } = await inferenceEngine(model, v.engine);
  await mkdir(v.out, { recursive: true }).catch((err) => {
    throw writeError(err, v.out as string);
  });
  const results: { image: string; mask: string; overlay: string }[] = [];
  const progress = positionals.length > 1 ? new TaskProgress('seg predict', positionals.length, { noun: 'images' }) : undefined;
  try {
    for (const file of positionals) await predictOne(file);
  } finally {
    progress?.end();
  }
  async function predictOne(file: string) {
    const raw = await readImage(file, channels);
    const direct = await infer(net, { id: file, width: raw.width, height: raw.height, channels, image: toUnitFloat(raw.data), mask: new Uint8Array(0) }, o);
    const p = crf ? refinePrediction(direct, raw.data, channels, crf) : direct;
    const stem = path.basename(file).replace(/\.[^.]+$/, '');
    const mask = path.join(v.out as string, `${stem}.mask.png`);
    const overlay = path.join(v.out as string, `${stem}.overlay.png`);
    await writePng(mask, { width: p.width, height: p.height, channels: 1, data: p.labels });
    const rgb = new Uint8Array(p.width * p.height * 3);
    for (let i = 0; i < p.width * p.height; i++) {
      const col = classColour(p.labels[i]!);
      for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = Math.round(0.5 * raw.data[i * channels + (channels === 1 ? 0 : ch)]! + 0.5 * col[ch]!);
    }
    await writePng(overlay, { width: p.width, height: p.height, channels: 3, data: rgb });
    results.push({ image: file, mask, overlay });
    progress?.update(results.length);
  }
  await close();
  out(v.json ? JSON.stringify(results) : results.map((r) => `${r.image} -> ${r.mask}, ${r.overlay}`).join('\n'));
}
