import { existsSync } from 'node:fs';
import { refinePrediction } from '@seg/crf';
import { resolveDataArg } from '@seg/core/data';
import { parseVerbArgs } from '../args.js';
import { UsageError } from '../errors.js';
import type { StartEngine } from '../engine-line.js';
import { INFERENCE_FLAGS, inferenceEngine, inferOptions, loadTrainedModel, parseNetworkEngine, parsePositive, sizeMultipleOf, trainedModelDir } from '../load.js';
import { fillFromRun } from '../run-config.js';
import { CRF_FLAGS, crfParams } from '../crf.js';

export const help = `seg eval --run RUN | --weights DIR --data DIR|NAME [--split val] [--classes N]
         [--format voc|voc-aug|camvid|isbi|cityscapes|ade20k|folder]
         [--downscale N] [--bf] [--tile HxW] [--window HxW] [--scales 0.75,1,1.25] [--flip]
         [--crf [--bilateral W,TA,TB] [--gaussian W,TG] [--crf-iters N]] [--engine tfjs|onnx] [--json]

Evaluates a trained model: mean IoU, pixel accuracy, mean accuracy,
frequency-weighted IoU and per-class IoU from one confusion matrix.
--bf adds SegNet's BF (per-class boundary F1, tolerance 0.75% of the image
diagonal, averaged over images). --downscale N evaluates on the images
shrunk by the integer factor N (box-averaged images, majority-label masks),
as the short replication profiles train and report.
--tile HxW uses overlap-tile inference with that model input size (valid-
convolution U-Net); --window HxW a sliding window. --crf refines each
softmax output with the dense CRF before scoring (DeepLab v2's parameters
unless given). --engine onnx runs the model exported to ONNX through
onnxruntime-node, with the same pre- and post-processing.
With --run, --data, --format and --classes default to what seg train
recorded in RUN/config.json; a flag given on the command line wins.
A model that takes only some sizes (unet-same-bn: multiples of 16) gets
other images padded to the next such size and its output cropped back.
Progress goes to stderr.`;

export async function run(argv: string[], out: (s: string) => void, _err: unknown, engine: StartEngine): Promise<void> {
  const { values: v } = parseVerbArgs('eval', argv, {
    ...INFERENCE_FLAGS,
    ...CRF_FLAGS,
    data: { type: 'string' },
    format: { type: 'string' },
    split: { type: 'string' },
    classes: { type: 'string' },
    downscale: { type: 'string' },
    bf: { type: 'boolean' },
  });
  const crf = v.crf ? crfParams(v, 'crf-iters') : undefined;
  // the model first: a missing run folder is named before what it would have supplied
  trainedModelDir(v.run as string | undefined, v.weights as string | undefined);
  fillFromRun(v, v.run as string | undefined);
  if (typeof v.data !== 'string') throw new UsageError('seg eval needs --data; see seg eval --help.');
  // --data is a folder or a dataset name (seg data list); a name brings its format.
  const resolved = resolveDataArg(v.data, v.format as string | undefined);
  v.data = resolved.dir;
  v.format = resolved.format;
  if (typeof v.format !== 'string') throw new UsageError('seg eval needs --format; see seg eval --help.');
  if (!existsSync(v.data)) throw new UsageError(`--data folder ${v.data} does not exist.`);
  await engine(parseNetworkEngine(v.engine));
  const { downscaled, evaluate, openDataset, toByteRange } = await import('@seg/core');
  const model = await loadTrainedModel(v.run as string | undefined, v.weights as string | undefined);
  const classes = v.classes === undefined ? undefined : parsePositive(v.classes as string, '--classes', 0);
  const factor = parsePositive(v.downscale as string | undefined, '--downscale', 1);
  const full = await openDataset(v.data, v.format, (v.split as string) ?? 'val', { classes, channels: model.inputs[0]!.shape[3] === 1 ? 1 : 3 });
  const dataset = factor > 1 ? downscaled(full, factor) : full;
  const o = { ...inferOptions(v), sizeMultiple: await sizeMultipleOf(model, v.run as string | undefined) };
  const { net, close } = await inferenceEngine(model, v.engine);
  const r = await evaluate(net, dataset, {
    ...o,
    classBoundary: Boolean(v.bf),
    progress: true,
    ...(crf ? { refine: (p, sample) => refinePrediction(p, toByteRange(sample.image), sample.channels === 1 ? 1 : 3, crf) } : {}),
  }).finally(close);
  if (v.json) out(JSON.stringify(r));
  else {
    out(`mIoU ${(100 * r.miou).toFixed(2)}  pixel acc ${(100 * r.pixel_acc).toFixed(2)}  mean acc ${(100 * r.mean_acc).toFixed(2)}  fw IoU ${(100 * r.fw_iou).toFixed(2)}${r.bf !== undefined ? `  BF ${(100 * r.bf).toFixed(2)}` : ''}  (${r.images} images)`);
    for (const c of r.per_class) out(`  ${c.name.padEnd(14)} ${c.iou == null ? '   -' : (100 * c.iou).toFixed(2)}`);
  }
}
