/**
 * The datasets on this machine: under SEG_DATA_DIR (default
 * $XDG_CACHE_HOME/seg/data, i.e. ~/.cache/seg/data), one folder each in
 * seg's layout. A dataset is ready when every file of its manifest is there
 * at its size; `verify` also checks every SHA-256. `fetchDataset` fills a
 * staging folder (DATA/.partial/NAME) with verified files only and moves
 * them into place at the end, so a killed or failed fetch never leaves a
 * dataset that looks ready, and the next one resumes where it stopped. A
 * dataset published as archives is fetched and prepared by archive-store.ts,
 * its folder's own manifest standing in for the catalogue's.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError } from '../errors/input-error.js';
import { didYouMean } from '../suggest.js';
import { atomicWriteFile } from '../io/atomic-write.js';
import { downloadFile, sha256File } from '../io/download.js';
import { waitForLock } from '../io/run-lock.js';
import { forEachLimited } from '../io/for-each-limited.js';
import { formatBytes, TaskProgress } from '../io/task-progress.js';
import { DATASETS, datasetSource, downloadBytes, manifestOf, mirrorSource, stored, type DatasetSource, type ManifestFile } from './catalog.js';
import { checkFrom, fetchArchiveDataset, folderState, foreignSentence } from './archive-store.js';
import { checkFiles, presentFiles, type FolderFile } from './folder-files.js';

/** Where datasets live: SEG_DATA_DIR, else the user's cache folder. */
export function dataRoot(): string {
  if (process.env.SEG_DATA_DIR) return path.resolve(process.env.SEG_DATA_DIR);
  const cache = process.env.XDG_CACHE_HOME ? path.resolve(process.env.XDG_CACHE_HOME) : path.join(homedir(), '.cache');
  return path.join(cache, 'seg', 'data');
}

export type DataState = 'ready' | 'partial' | 'missing';

export interface DatasetStatus {
  name: string;
  status: DataState;
  /** The folder to read it from: under the data root, or the copy that ships with seg. */
  path: string;
  /** Bytes of the dataset's files on disk there. */
  bytes: number;
  /** Bytes a full `seg data get` transfers. */
  download: number;
  /** Files of the manifest there at their size, of all. */
  files: { present: number; total: number };
  /** Set when `path` is the copy that ships with seg (and what it holds). */
  embedded?: string;
  /** Datasets `seg data get` fetches first (SBD needs VOC 2012). */
  needs?: string[];
  /** Archives the user downloads by hand (behind a login): `seg data get` says which and where. */
  byHand?: string[];
  /** Set when an archive's size is stated nowhere: `download` leaves it out. */
  downloadUnknown?: boolean;
  /** Why a folder that is there is not ready, and what to do, in one sentence: one seg did not prepare, archives seg no longer pins, a dataset it needs not ready. */
  notReady?: string;
}

function knownSource(name: string): DatasetSource {
  const d = datasetSource(name);
  if (!d) {
    const near = didYouMean(name, DATASETS.map((x) => x.name));
    throw new InputError(`Unknown dataset "${name}"${near ? ` (${near})` : ''}; seg data list shows the datasets (${DATASETS.map((x) => x.name).join(', ')}).`);
  }
  return d;
}

/** Whether `name` is a dataset of the catalogue (so --data NAME means it, not a folder). */
export const isDatasetName = (name: string) => datasetSource(name) !== undefined;

/** What seg's layout holds of manifest entries (a rewritten list as rewritten). */
const asStored = (files: ManifestFile[]): FolderFile[] => files.map((f) => ({ path: f.path, size: stored(f).size, sha256: stored(f).sha256 }));

const stagingOf = (name: string) => path.join(dataRoot(), '.partial', name);

/**
 * Where an archive dataset stands: ready when its folder's manifest is its
 * own, names the archives seg pins now, has every file at its size, and the
 * datasets it needs are ready.
 */
function archiveStatus(d: DatasetSource): DatasetStatus {
  const dir = path.join(dataRoot(), d.name);
  const archives = d.archives ?? [];
  const base = {
    name: d.name,
    path: dir,
    download: downloadBytes(d.name),
    ...(d.needs?.length ? { needs: d.needs } : {}),
    ...(archives.some((a) => a.byHand) ? { byHand: archives.filter((a) => a.byHand).map((a) => a.file) } : {}),
    ...(archives.some((a) => !a.byHand && a.size === undefined) ? { downloadUnknown: true } : {}),
  };
  const f = folderState(dir, d);
  if (f.kind === 'stale' || f.kind === 'prepared') {
    const here = presentFiles(dir, f.manifest.files);
    const files = { present: here.count, total: f.manifest.files.length };
    const whole = here.count === files.total;
    const partial = { ...base, status: 'partial' as const, bytes: here.bytes, files };
    if (f.kind === 'stale') return { ...partial, notReady: `Dataset ${f.why}; run \`seg data get ${d.name}\` to prepare it again (${downloadWords(partial)}).` };
    const waiting = whole ? (d.needs ?? []).map(datasetStatus).find((n) => n.status !== 'ready') : undefined;
    if (waiting) return { ...partial, notReady: `Dataset ${d.name} is prepared in ${dir} but needs ${waiting.name}, which is ${waiting.status === 'missing' ? `not in ${dataRoot()}` : `not ready in ${waiting.path}`}; run \`seg data get ${waiting.name}\` (${downloadWords(waiting)}).` };
    return whole ? { ...partial, status: 'ready' } : partial;
  }
  const empty = { ...base, bytes: 0, files: { present: 0, total: 0 } };
  if (f.kind === 'foreign') return { ...empty, status: 'partial', notReady: foreignSentence(d, dir, f.why) };
  const started = existsSync(dir) || existsSync(stagingOf(d.name)) || existsSync(`${stagingOf(d.name)}.archives`);
  return { ...empty, status: started ? 'partial' : 'missing' };
}

/** Where `name` stands on this machine (a stat of each file, no hashing). */
export function datasetStatus(name: string): DatasetStatus {
  const source = knownSource(name);
  if (source.archives) return archiveStatus(source);
  const files = manifestOf(name);
  const dir = path.join(dataRoot(), name);
  const here = presentFiles(dir, asStored(files));
  const download = downloadBytes(name);
  const base = { name, download, files: { present: here.count, total: files.length } };
  if (here.count === files.length) return { ...base, status: 'ready', path: dir, bytes: here.bytes };
  const started = here.count > 0 || existsSync(stagingOf(name));
  // The copy that ships with seg serves whenever the data folder's is not whole (also while, or after, a fetch fails).
  if (source.embedded) {
    const holds = files.filter(source.embedded.holds);
    const e = presentFiles(source.embedded.dir, asStored(holds));
    if (e.count === holds.length) return { ...base, status: 'ready', path: source.embedded.dir, bytes: e.bytes, files: { present: e.count, total: files.length }, embedded: source.embedded.what };
  }
  return { ...base, status: started ? 'partial' : 'missing', path: dir, bytes: here.bytes };
}

export function listDatasets(): DatasetStatus[] {
  return DATASETS.map((d) => datasetStatus(d.name));
}

/** What `seg data get NAME` transfers, in words ("2.0 GB to download", "… an archive whose size no source states …", "its archives … are downloaded by hand"). */
export function downloadWords(s: DatasetStatus): string {
  if (s.byHand?.length && !s.download) return `its archives ${s.byHand.join(' and ')} are downloaded by hand`;
  const size = s.downloadUnknown ? (s.download ? `${formatBytes(s.download)} and an archive whose size no source states` : 'an archive whose size no source states') : formatBytes(s.download);
  return `${size} to download${s.needs?.length ? `, after ${s.needs.join(' and ')}` : ''}`;
}

/** The one-sentence way to get a missing dataset (an archive dataset's folder counts only as seg prepared it). */
function howToGet(s: DatasetStatus): string {
  const folder = datasetSource(s.name)?.archives ? `a data folder where seg prepared ${s.name}/` : `a folder that holds ${s.name}/`;
  return `run \`seg data get ${s.name}\` (${downloadWords(s)}), or point SEG_DATA_DIR at ${folder} (\`seg data verify ${s.name}\` checks it)`;
}

/**
 * The folder of a ready dataset, or one sentence saying it is not there and
 * how to get it. Nothing is fetched.
 */
export function datasetPath(name: string): string {
  const s = datasetStatus(name);
  if (s.status === 'ready') return s.path;
  if (s.notReady) throw new InputError(s.notReady);
  const where = s.status === 'partial' ? (s.files.total ? `incomplete in ${s.path} (${s.files.present} of ${s.files.total} files)` : `not yet prepared in ${s.path}`) : `not in ${dataRoot()}`;
  throw new InputError(`Dataset ${name} is ${where}; ${howToGet(s)}.`);
}

/** Mismatched files of a dataset folder, checked against every SHA-256 (none: it is whole). */
export async function verifyDataset(name: string, dir = datasetStatus(name).path, onFile?: (done: number, total: number) => void): Promise<{ dir: string; checked: number; problems: string[] }> {
  const source = knownSource(name);
  if (source.archives) {
    const f = folderState(dir, source);
    if (f.kind === 'none' || f.kind === 'foreign') return { dir, checked: 0, problems: [`${dir} ${f.kind === 'none' ? 'holds nothing' : f.why}, so it is not a folder seg prepared for ${name}`] };
    const problems = await checkFiles(dir, f.manifest.files, onFile);
    return { dir, checked: f.manifest.files.length, problems: f.kind === 'stale' ? [f.why, ...problems] : problems };
  }
  const all = manifestOf(name);
  const files = dir === source.embedded?.dir ? all.filter(source.embedded.holds) : all;
  return { dir, checked: files.length, problems: await checkFiles(dir, asStored(files), onFile) };
}

/** Where a file comes from: the pinned source, or SEG_DATA_MIRROR (a base URL or a folder holding <name>/<source path>). */
function sourceOf(d: DatasetSource, f: ManifestFile): string {
  const mirror = process.env.SEG_DATA_MIRROR;
  return mirror ? mirrorSource(mirror, d.name, f.source) : d.base! + f.source;
}



export interface FetchOptions {
  log?: (s: string) => void;
  /** Progress on stderr (a bar on a terminal); off in tests. */
  progress?: boolean;
  /** A folder holding archives the user fetched (by hand, behind a login, or in a browser): they are checked and used instead of a download. */
  from?: string;
}

/**
 * Fetches what is missing of `name` into the data root and returns its
 * folder: every file checked against its pinned size and SHA-256, a cut
 * transfer resumed (also by a later call), files moved into place only when
 * all are there.
 */
export async function fetchDataset(name: string, o: FetchOptions = {}): Promise<string> {
  const d = knownSource(name);
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const target = path.join(dataRoot(), name);
  if (o.from !== undefined && !d.archives) throw new InputError(`--from names a folder of archives, and ${name} is fetched file by file, not as archives.`);
  if (d.archives) {
    // Refused before any dataset it needs is fetched: a folder seg would not replace, a --from folder without the archive.
    const state = folderState(target, d);
    if (state.kind === 'foreign') throw new InputError(foreignSentence(d, target, state.why));
    if (o.from !== undefined) checkFrom(d, o.from);
  }
  for (const need of d.needs ?? []) {
    if (datasetStatus(need).status === 'ready') continue;
    // --from serves a dataset needed first only where it holds that one's archives too
    const archives = knownSource(need).archives;
    const from = o.from !== undefined && archives?.every((a) => existsSync(path.join(path.resolve(o.from!), a.file))) ? o.from : undefined;
    log(`seg data: ${name} needs ${need}; fetching it first${o.from !== undefined && from === undefined ? ` (${o.from} does not hold its archives)` : ''}`);
    await fetchDataset(need, { ...o, from });
  }
  // One fetch of a dataset at a time: a second waits for the first, then finds it ready.
  const lock = await waitForLock(path.join(dataRoot(), '.partial'), `${name}.lock`, (who) => log(`seg data: another fetch of ${name} is running (${who}); waiting for it`));
  try {
    return d.archives ? await fetchArchives(d, target, o, log) : await fetchFiles(d, target, o, log);
  } finally {
    lock.release();
    // The staging parent goes once nothing is left in it (another dataset's fetch may still use it).
    await rmdir(path.join(dataRoot(), '.partial')).catch(() => {});
  }
}

async function fetchArchives(d: DatasetSource, target: string, o: FetchOptions, log: (s: string) => void): Promise<string> {
  const did = await fetchArchiveDataset(d, { root: dataRoot(), target, staging: stagingOf(d.name), needs: (d.needs ?? []).map(datasetPath), from: o.from, log, progress: o.progress });
  const s = datasetStatus(d.name);
  if (s.status !== 'ready') throw new Error(`${d.name} is still ${s.status} after its fetch (${s.files.present} of ${s.files.total} files).`);
  log(`seg data: ${d.name} is ready in ${target} (${formatBytes(s.bytes)} on disk)${did ? '' : ' (nothing was missing)'}`);
  return target;
}

async function fetchFiles(d: DatasetSource, target: string, o: FetchOptions, log: (s: string) => void): Promise<string> {
  const name = d.name;
  const staging = stagingOf(name);
  // Even a dataset that looks ready (sizes) is hashed below: a file verify found changed is fetched again.
  const files = manifestOf(name);
  // Files already in place that verify are kept; everything else is fetched into staging.
  const todo: ManifestFile[] = [];
  for (const f of files) {
    const at = path.join(target, f.path);
    const inStaging = existsSync(path.join(staging, f.path));
    const inPlace = !inStaging && statSync(at, { throwIfNoEntry: false })?.size === stored(f).size && (await sha256File(at)) === stored(f).sha256;
    if (!inStaging && !inPlace) todo.push(f);
  }
  const total = todo.reduce((s, f) => s + f.size, 0);
  const from = process.env.SEG_DATA_MIRROR ? `SEG_DATA_MIRROR (${process.env.SEG_DATA_MIRROR})` : new URL(d.base!).host;
  if (todo.length) log(`seg data: fetching ${name}: ${todo.length} files, ${formatBytes(total)} from ${from} into ${target}`);
  const bar = o.progress ? new TaskProgress(`seg data get ${name}`, total, { unit: 'bytes' }) : undefined;
  let bytes = 0;
  const count = (n: number) => {
    bytes += n;
    bar?.update(bytes);
  };
  try {
    await forEachLimited(todo, 6, async (f) => {
      const dest = path.join(staging, f.path);
      const fetched = f.convert ? `${dest}.source` : dest;
      await downloadFile(sourceOf(d, f), fetched, f, { onBytes: count, mirrorHint: `a base URL or folder holding ${name}/${f.source.split('/')[0]}/…` });
      if (f.convert) {
        const text = (await readFile(fetched, 'utf8')).split(f.convert.stripPrefix).join('');
        const want = stored(f);
        if (Buffer.byteLength(text) !== want.size || createHash('sha256').update(text).digest('hex') !== want.sha256) {
          await rm(fetched, { force: true });
          throw new InputError(`${f.path}, rewritten from ${f.source}, does not match its pinned checksum: the source or mirror holds a different file.`);
        }
        await atomicWriteFile(dest, text);
        await rm(fetched);
      }
    });
  } finally {
    bar?.end();
  }
  // Into place: the whole folder at once when there is none yet, else file by file (each whole and verified).
  // A fetch killed while rewriting a list may have left its source beside it.
  for (const f of files) if (f.convert) await rm(path.join(staging, `${f.path}.source`), { force: true });
  if (existsSync(staging)) {
    if (!existsSync(target)) await rename(staging, target);
    else {
      for (const f of files) {
        const from = path.join(staging, f.path);
        if (!existsSync(from)) continue;
        await mkdir(path.dirname(path.join(target, f.path)), { recursive: true });
        await rename(from, path.join(target, f.path));
      }
      await rm(staging, { recursive: true, force: true });
    }
  }
  const s = datasetStatus(name);
  if (s.status !== 'ready' || s.path !== target) throw new Error(`${name} is still ${s.status} after its fetch (${s.files.present} of ${s.files.total} files).`);
  log(`seg data: ${name} is ready in ${target}${todo.length ? '' : ' (nothing was missing)'}`);
  return target;
}

/**
 * The folder of `name` for a replication: ready ones as they are; a missing
 * one fetched first when its download is at most `fetchUpTo` bytes (saying
 * so), otherwise one sentence with the command that gets it.
 */
export async function ensureDataset(name: string, o: { fetchUpTo?: number; log?: (s: string) => void } = {}): Promise<string> {
  const s = datasetStatus(name);
  if (s.status === 'ready') return s.path;
  if (s.download > (o.fetchUpTo ?? 0) || s.downloadUnknown || s.byHand || s.needs) return datasetPath(name);
  (o.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(`${name} is ${s.status === 'partial' ? 'incomplete' : 'not'} in ${dataRoot()}; fetching it first (${formatBytes(s.download)}, as \`seg data get ${name}\` does)`);
  return fetchDataset(name, { log: o.log, progress: true });
}

/**
 * `--data` as train and eval take it: a folder, or the name of a catalogued
 * dataset (its folder, and its format unless --format says otherwise). An
 * existing folder of that name wins; a dataset that is not here is one
 * sentence with the command that gets it.
 */
export function resolveDataArg(value: string, format?: string): { dir: string; format?: string } {
  if (existsSync(value) || !isDatasetName(value)) return { dir: value, format };
  return { dir: datasetPath(value), format: format ?? datasetSource(value)!.format };
}
