/**
 * The dataset layouts seg reads. Each decodes on demand and maps its labels
 * to class indices with 255 = ignore.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset, Sample } from './types.js';
import { InputError } from '../errors/input-error.js';
import { readImage, readImageSize, readLabelPng, toUnitFloat, type RawImage } from './image-io.js';
import { forEachLimited } from '../io/for-each-limited.js';
import { readList } from './list-file.js';
import { censusOf, type LabelCensus } from './label-census.js';
import { ADE20K_CLASSES, CAMVID_CLASSES, CITYSCAPES_CLASSES, CITYSCAPES_LABEL_TO_TRAIN, VOC_CLASSES } from './classes.js';

export { ADE20K_CLASSES, ADE20K_PALETTE, CAMVID_CLASSES, CITYSCAPES_CLASSES, CITYSCAPES_LABEL_TO_TRAIN, CITYSCAPES_PALETTE, VOC_CLASSES, VOC_PALETTE, vocColormap } from './classes.js';

export const IGNORE = 255;

interface Pair {
  id: string;
  image: string;
  mask: string;
}

async function assertDir(dir: string, what: string) {
  const s = await stat(dir).catch(() => undefined);
  if (!s?.isDirectory()) throw new InputError(`${what} folder ${dir} does not exist.`);
}

/** How a format's stored label values become classes. */
interface LabelRule {
  /** The class of a stored value, IGNORE, or undefined for a value the format does not allow. */
  map: (v: number) => number | undefined;
  /** The allowed values, for the error: "0-10, or 11 (void)". */
  allowed: string;
  /** The --format that reads it, for the label census's hint. */
  format: string;
}

const INVALID = 256;

/** Values of `data` that `table` marks invalid, at most 5 of them. */
function invalidValues(data: Uint8Array, table: Uint16Array): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < data.length && seen.size < 5; i++) if (table[data[i]!] === INVALID) seen.add(data[i]!);
  return [...seen].sort((a, b) => a - b);
}

function makeDataset(
  name: string,
  classNames: string[],
  pairs: Pair[],
  channels: 1 | 3,
  rule: LabelRule,
  /** Where the split's samples come from (a list file or folder), for the empty-split error. */
  source: string,
): Dataset {
  if (pairs.length === 0) throw new InputError(`The ${name} split is empty: ${source} lists no samples.`);
  const table = new Uint16Array(256);
  for (let v = 0; v < 256; v++) table[v] = rule.map(v) ?? INVALID;
  /** What is wrong with one pair, as phrases for get()'s error and check()'s list. */
  const problemsOf = (p: Pair, image: { width: number; height: number }, lab: RawImage) => {
    const size = image.width !== lab.width || image.height !== lab.height ? `label map ${p.mask} is ${lab.width}x${lab.height} but its image ${p.image} is ${image.width}x${image.height}` : undefined;
    const bad = invalidValues(lab.data, table);
    const labels = bad.length ? `label map ${p.mask} holds value${bad.length > 1 ? 's' : ''} ${bad.join(', ')}, outside ${rule.allowed}` : undefined;
    return { size, labels };
  };
  // A full check is done once per dataset (train() and evaluate() both ask for it).
  let fullCheck: Promise<void> | undefined;
  // The full check decodes every label map anyway: it counts their values too, which costs one pass over bytes already in memory.
  const stored = new Float64Array(256);
  return {
    name,
    numClasses: classNames.length,
    ignoreIndex: IGNORE,
    classNames,
    length: pairs.length,
    async get(index: number): Promise<Sample> {
      const p = pairs[index];
      if (!p) throw new RangeError(`${name} has ${pairs.length} samples; index ${index} is out of range.`);
      const [img, lab] = await Promise.all([readImage(p.image, channels), readLabelPng(p.mask)]);
      const { size, labels } = problemsOf(p, img, lab);
      if (size) throw new InputError(`${size.charAt(0).toUpperCase()}${size.slice(1)}.`);
      if (labels) throw new InputError(`The ${labels}.`);
      const mask = new Uint8Array(lab.data.length);
      for (let i = 0; i < mask.length; i++) mask[i] = table[lab.data[i]!]!;
      return { id: p.id, width: img.width, height: img.height, channels: img.channels, image: toUnitFloat(img.data), mask };
    },
    check,
    async labelCensus(): Promise<LabelCensus> {
      await check();
      return censusOf(stored, rule.map, classNames.length, rule.format);
    },
  };

  function check(indices?: number[]): Promise<void> {
    if (indices) return checkPairs(indices);
    fullCheck ??= checkPairs(pairs.map((_, i) => i), stored);
    return fullCheck;
  }

  async function checkPairs(chosen: number[], histogram?: Float64Array): Promise<void> {
    const problems: { index: number; why: string }[] = [];
    await forEachLimited(chosen, 8, async (index) => {
      const p = pairs[index]!;
      const [img, lab] = await Promise.allSettled([readImageSize(p.image), readLabelPng(p.mask)]);
      const why: string[] = [];
      if (img.status === 'rejected') why.push((img.reason as Error).message.replace(/\.$/, ''));
      if (lab.status === 'rejected') why.push((lab.reason as Error).message.replace(/\.$/, ''));
      if (lab.status === 'fulfilled') {
        const data = lab.value.data;
        if (histogram) for (let i = 0; i < data.length; i++) histogram[data[i]!]!++;
        // the size can be compared only when the image header was read
        const { size, labels } = problemsOf(p, img.status === 'fulfilled' ? img.value : lab.value, lab.value);
        for (const w of [size, labels]) if (w) why.push(w);
      }
      if (why.length) problems.push({ index, why: why.join('; ') });
    });
    if (problems.length === 0) return;
    problems.sort((a, b) => a.index - b.index);
    const first = problems.slice(0, 3).map((p) => p.why);
    const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
    throw new InputError(`${problems.length} of ${chosen.length} samples of ${name} cannot be used: ${first.join('; ')}${more}.`);
  }
}

/** CamVid in SegNet's layout: `<split>.txt` lines "train/x.png trainannot/x.png"; 11 classes, void (11) ignored. */
export async function camvid(root: string, split = 'train'): Promise<Dataset> {
  await assertDir(root, 'CamVid');
  const list = path.join(root, `${split}.txt`);
  const pairs = (await readList(list, 'CamVid')).map((line, i) => {
    const [image, mask] = line.split(/\s+/) as [string, string | undefined];
    if (!mask) throw new InputError(`Line ${i + 1} of ${list} must be "IMAGE MASK" (got "${line}").`);
    return { id: path.basename(image, path.extname(image)), image: path.join(root, image), mask: path.join(root, mask) };
  });
  // SegNet's annotations: 0-10 the classes, 11 void; 255 is taken as ignore too.
  return makeDataset(`camvid-${split}`, CAMVID_CLASSES, pairs, 3, { map: (v) => (v < 11 ? v : v === 11 || v === 255 ? IGNORE : undefined), allowed: '0-10, 11 (void) and 255', format: 'camvid' }, list);
}

/**
 * ISBI 2012 EM membranes: grey images, label 0 = membrane -> class 0, 255 =
 * cell interior -> class 1. `indices` picks slices (U-Net experiments train on
 * 00-24 and evaluate on 25-29: the challenge's test labels were never published).
 */
export async function isbi2012(root: string, split = 'train', indices?: number[]): Promise<Dataset> {
  const dir = path.join(root, split);
  await assertDir(path.join(dir, 'images'), 'ISBI 2012 images');
  const files = (await readdir(path.join(dir, 'images'))).filter((f) => f.endsWith('.png')).sort();
  const chosen = indices ? indices.map((i) => String(i).padStart(2, '0') + '.png') : files;
  const pairs = chosen.map((f) => ({ id: path.basename(f, '.png'), image: path.join(dir, 'images', f), mask: path.join(dir, 'labels', f) }));
  return makeDataset(`isbi2012-${split}`, ['membrane', 'cell'], pairs, 1, { map: (v) => (v >= 128 ? 1 : 0), allowed: '0-255', format: 'isbi' }, path.join(dir, 'images'));
}

const vocRule = (format: string): LabelRule => ({ map: (v) => (v < 21 ? v : v === 255 ? IGNORE : undefined), allowed: '0-20 and 255 (ignore)', format });

/** PASCAL VOC: ImageSets/Segmentation/<split>.txt, JPEGImages/<id>.jpg, SegmentationClass/<id>.png (palette indices, 255 ignored). */
export async function voc(root: string, split = 'train'): Promise<Dataset> {
  await assertDir(root, 'VOC');
  const list = path.join(root, 'ImageSets', 'Segmentation', `${split}.txt`);
  const ids = await readList(list, 'VOC');
  const pairs = ids.map((id) => ({ id, image: path.join(root, 'JPEGImages', `${id}.jpg`), mask: path.join(root, 'SegmentationClass', `${id}.png`) }));
  return makeDataset(`voc-${split}`, VOC_CLASSES, pairs, 3, vocRule('voc'), list);
}

/**
 * VOC 2012 with SBD's extra labels, as mmsegmentation trains on it
 * (tools/dataset_converters/voc_aug.py): `root` holds SegmentationClassAug/
 * (SBD's class maps as PNGs) and ImageSets/Segmentation/{train_aug,aug}.txt;
 * images and VOC's own labels come from VOC 2012 (`o.voc`, by default the
 * voc2012/ folder beside `root`, as seg data lays them out). An image VOC
 * labels itself takes VOC's label, as mmseg's SegmentationClass-before-Aug
 * order does. Split `train` is train_aug (10,582 images); `val` is VOC's.
 */
export async function vocAug(root: string, split = 'train', o: { voc?: string } = {}): Promise<Dataset> {
  await assertDir(path.join(root, 'SegmentationClassAug'), 'VOC augmented labels (SegmentationClassAug)');
  const vocRoot = o.voc ?? path.join(path.dirname(path.resolve(root)), 'voc2012');
  await assertDir(vocRoot, 'VOC 2012 (the images and VOC labels that SBD adds to)');
  const name = split === 'train' ? 'train_aug' : split;
  const own = path.join(root, 'ImageSets', 'Segmentation', `${name}.txt`);
  const list = existsSync(own) ? own : path.join(vocRoot, 'ImageSets', 'Segmentation', `${name}.txt`);
  const ids = await readList(list, 'VOC augmented');
  const vocLabelled = new Set(await readList(path.join(vocRoot, 'ImageSets', 'Segmentation', 'trainval.txt'), 'VOC 2012'));
  const pairs = ids.map((id) => ({
    id,
    image: path.join(vocRoot, 'JPEGImages', `${id}.jpg`),
    mask: vocLabelled.has(id) ? path.join(vocRoot, 'SegmentationClass', `${id}.png`) : path.join(root, 'SegmentationClassAug', `${id}.png`),
  }));
  return makeDataset(`voc-aug-${name}`, VOC_CLASSES, pairs, 3, vocRule('voc-aug'), list);
}

/**
 * ADE20K SceneParsing (ADEChallengeData2016): images/<training|validation>/*.jpg
 * with annotations/<same>/<stem>.png. Value 0 ("other") is ignored and 1-150
 * become classes 0-149, as mmsegmentation's reduce_zero_label does; 255
 * stays ignore, as there (and in every format here).
 */
export async function ade20k(root: string, split = 'train'): Promise<Dataset> {
  const dir = split === 'train' ? 'training' : split === 'val' ? 'validation' : split;
  const images = path.join(root, 'images', dir);
  await assertDir(images, `ADE20K ${split} images`);
  const pairs = (await readdir(images))
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => {
      const stem = f.slice(0, -4);
      return { id: stem, image: path.join(images, f), mask: path.join(root, 'annotations', dir, `${stem}.png`) };
    });
  return makeDataset(`ade20k-${dir}`, ADE20K_CLASSES, pairs, 3, { map: (v) => (v === 0 || v === IGNORE ? IGNORE : v <= 150 ? v - 1 : undefined), allowed: '0 (other, ignored), 1-150 and 255 (ignore)', format: 'ade20k' }, images);
}

/** Cityscapes: leftImg8bit/<split>/<city>/*_leftImg8bit.png with gtFine/<split>/<city>/*_gtFine_labelIds.png -> 19 trainIds. */
export async function cityscapes(root: string, split = 'train'): Promise<Dataset> {
  const imgRoot = path.join(root, 'leftImg8bit', split);
  await assertDir(imgRoot, 'Cityscapes images');
  const pairs: Pair[] = [];
  for (const city of (await readdir(imgRoot)).sort()) {
    for (const f of (await readdir(path.join(imgRoot, city))).filter((x) => x.endsWith('_leftImg8bit.png')).sort()) {
      const stem = f.replace(/_leftImg8bit\.png$/, '');
      pairs.push({ id: stem, image: path.join(imgRoot, city, f), mask: path.join(root, 'gtFine', split, city, `${stem}_gtFine_labelIds.png`) });
    }
  }
  // labelIds 0-33 (those without a trainId are ignored); 255 is taken as ignore too.
  return makeDataset(`cityscapes-${split}`, CITYSCAPES_CLASSES, pairs, 3, { map: (v) => (v <= 33 || v === 255 ? (CITYSCAPES_LABEL_TO_TRAIN[v] ?? IGNORE) : undefined), allowed: 'the labelIds 0-33 and 255', format: 'cityscapes' }, imgRoot);
}

/** A plain pair of folders: every image has a mask PNG with the same stem; labels 0..classes-1, 255 ignored. */
export async function imageFolder(imagesDir: string, masksDir: string, classes: number, channels: 1 | 3 = 3): Promise<Dataset> {
  await assertDir(imagesDir, 'Image');
  await assertDir(masksDir, 'Mask');
  const images = (await readdir(imagesDir)).filter((f) => /\.(png|jpe?g|tiff?)$/i.test(f)).sort();
  const masks = new Set(await readdir(masksDir));
  const pairs = images.map((f) => {
    const stem = f.replace(/\.[^.]+$/, '');
    if (!masks.has(`${stem}.png`)) throw new InputError(`Image ${path.join(imagesDir, f)} has no mask ${path.join(masksDir, `${stem}.png`)}.`);
    return { id: stem, image: path.join(imagesDir, f), mask: path.join(masksDir, `${stem}.png`) };
  });
  const names = Array.from({ length: classes }, (_, i) => `class${i}`);
  return makeDataset('folder', names, pairs, channels, { map: (v) => (v < classes ? v : v === IGNORE ? IGNORE : undefined), allowed: `0-${classes - 1} (--classes ${classes}) and 255 (ignore)`, format: 'folder' }, imagesDir);
}
