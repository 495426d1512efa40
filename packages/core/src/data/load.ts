/** Opens a dataset by format name, as the CLI's --format flag gives it. */
import path from 'node:path';
import type { Dataset } from './types.js';
import { InputError } from '../errors/input-error.js';
import { ade20k, camvid, cityscapes, imageFolder, isbi2012, voc, vocAug } from './datasets.js';

export const FORMATS = ['voc', 'voc-aug', 'camvid', 'isbi', 'cityscapes', 'ade20k', 'folder'] as const;
export type DatasetFormat = (typeof FORMATS)[number];

export async function openDataset(dir: string, format: string, split: string, o: { classes?: number; channels?: 1 | 3 } = {}): Promise<Dataset> {
  switch (format) {
    case 'voc':
      return voc(dir, split);
    case 'voc-aug':
      return vocAug(dir, split);
    case 'ade20k':
      return ade20k(dir, split);
    case 'camvid':
      return camvid(dir, split);
    case 'isbi':
      return isbi2012(dir, split);
    case 'cityscapes':
      return cityscapes(dir, split);
    case 'folder':
      if (!o.classes) throw new InputError('--format folder needs --classes N.');
      return imageFolder(path.join(dir, split, 'images'), path.join(dir, split, 'masks'), o.classes, o.channels ?? 3);
    default:
      throw new InputError(`--format must be one of ${FORMATS.join(', ')} (got "${format}").`);
  }
}
