/**
 * SBD (the Semantic Boundaries Dataset, Hariharan et al. 2011) as the extra
 * training labels of PASCAL VOC 2012, the way mmsegmentation prepares it
 * (tools/dataset_converters/voc_aug.py): every cls/<id>.mat, a MATLAB struct
 * GTcls whose field Segmentation is the class map (0 background, 1-20 the
 * classes), becomes SegmentationClassAug/<id>.png; train_aug is VOC train
 * with SBD train and val, less VOC val; aug is the part VOC does not label.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { encode } from 'fast-png';
import { InputError } from '../errors/input-error.js';
import { readMat, rowMajor2d } from '../io/mat5.js';

/** The class map of one SBD cls/*.mat as an 8-bit grey PNG (values as stored), or one sentence naming the file. */
export function sbdClassPng(bytes: Uint8Array, file: string): Uint8Array {
  const gt = readMat(bytes, file).get('GTcls');
  if (gt?.kind !== 'struct' || gt.elements.length !== 1 || !gt.fields.includes('Segmentation')) {
    throw new InputError(`${file} holds no struct GTcls with a field Segmentation, as SBD's cls/*.mat do.`);
  }
  const map = rowMajor2d(gt.elements[0]!.Segmentation!, `${file}'s GTcls.Segmentation`);
  const data = new Uint8Array(map.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = map.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new InputError(`${file}'s GTcls.Segmentation holds ${v}, not a class index 0-255.`);
    data[i] = v;
  }
  return encode({ width: map.cols, height: map.rows, data, channels: 1, depth: 8 });
}

/**
 * Converts every .mat of `clsDir` to `<id>.png` through `write`, one at a
 * time (a .mat is read, converted, written and deleted before the next, so
 * neither the archive nor the split is held in memory); returns the ids.
 * `name` says which file an error names (by default the .mat on disk).
 */
export async function convertSbdClasses(clsDir: string, write: (id: string, png: Uint8Array) => Promise<void>, name: (mat: string) => string = (mat) => path.join(clsDir, mat)): Promise<string[]> {
  const ids: string[] = [];
  for (const f of (await readdir(clsDir)).filter((x) => x.endsWith('.mat')).sort()) {
    const file = path.join(clsDir, f);
    const id = f.slice(0, -4);
    await write(id, sbdClassPng(await readFile(file), name(f)));
    await rm(file);
    ids.push(id);
  }
  return ids;
}

/** mmsegmentation's lists: train_aug = (VOC train ∪ SBD train ∪ SBD val) − VOC val; aug = (SBD train ∪ SBD val) − VOC train − VOC val. Sorted. */
export function augmentedSplits(voc: { train: string[]; val: string[] }, sbd: { train: string[]; val: string[] }): { trainAug: string[]; aug: string[] } {
  const val = new Set(voc.val);
  const vocTrain = new Set(voc.train);
  const sbdAll = [...sbd.train, ...sbd.val];
  const trainAug = [...new Set([...voc.train, ...sbdAll])].filter((id) => !val.has(id)).sort();
  const aug = [...new Set(sbdAll)].filter((id) => !val.has(id) && !vocTrain.has(id)).sort();
  return { trainAug, aug };
}
