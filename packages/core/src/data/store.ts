/**
 * The datasets on this machine: under SEG_DATA_DIR (default
 * $XDG_CACHE_HOME/seg/data, i.e. ~/.cache/seg/data), one folder each in
 * seg's layout. A dataset is ready when every file of its manifest is there
 * at its size; `verify` also checks every SHA-256. `fetchDataset` fills a
 * staging folder (DATA/.partial/NAME) with verified files only and moves
 * them into place at the end, so a killed or failed fetch never leaves a
 * dataset that looks ready, and the next one resumes where it stopped.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError } from '../errors/input-error.js';
import { didYouMean } from '../suggest.js';
import { atomicWriteFile } from '../io/atomic-write.js';
import { downloadFile, sha256File } from '../io/download.js';
import { lockHolder, lockRunDir, type RunLock } from '../io/run-lock.js';
import { forEachLimited } from '../io/for-each-limited.js';
import { formatBytes, TaskProgress } from '../io/task-progress.js';
import { DATASETS, datasetSource, downloadBytes, manifestOf, stored, type DatasetSource, type ManifestFile } from './catalog.js';

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

/** Files of `files` present in `dir` at their stored size, and their bytes. */
function present(dir: string, files: ManifestFile[]): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const f of files) {
    try {
      const s = statSync(path.join(dir, f.path));
      if (s.size === stored(f).size) {
        count++;
        bytes += s.size;
      }
    } catch {
      // not there
    }
  }
  return { count, bytes };
}

const stagingOf = (name: string) => path.join(dataRoot(), '.partial', name);

/** Where `name` stands on this machine (a stat of each file, no hashing). */
export function datasetStatus(name: string): DatasetStatus {
  const source = knownSource(name);
  const files = manifestOf(name);
  const dir = path.join(dataRoot(), name);
  const here = present(dir, files);
  const download = downloadBytes(name);
  const base = { name, download, files: { present: here.count, total: files.length } };
  if (here.count === files.length) return { ...base, status: 'ready', path: dir, bytes: here.bytes };
  const started = here.count > 0 || existsSync(stagingOf(name));
  // The copy that ships with seg serves whenever the data folder's is not whole (also while, or after, a fetch fails).
  if (source.embedded) {
    const holds = files.filter(source.embedded.holds);
    const e = present(source.embedded.dir, holds);
    if (e.count === holds.length) return { ...base, status: 'ready', path: source.embedded.dir, bytes: e.bytes, files: { present: e.count, total: files.length }, embedded: source.embedded.what };
  }
  return { ...base, status: started ? 'partial' : 'missing', path: dir, bytes: here.bytes };
}

export function listDatasets(): DatasetStatus[] {
  return DATASETS.map((d) => datasetStatus(d.name));
}

/** The one-sentence way to get a missing dataset. */
function howToGet(s: DatasetStatus): string {
  return `run \`seg data get ${s.name}\` (${formatBytes(s.download)} to download), or point SEG_DATA_DIR at a folder that holds ${s.name}/ (\`seg data verify ${s.name}\` checks it)`;
}

/**
 * The folder of a ready dataset, or one sentence saying it is not there and
 * how to get it. Nothing is fetched.
 */
export function datasetPath(name: string): string {
  const s = datasetStatus(name);
  if (s.status === 'ready') return s.path;
  throw new InputError(`Dataset ${name} is ${s.status === 'partial' ? `incomplete in ${s.path} (${s.files.present} of ${s.files.total} files)` : `not in ${dataRoot()}`}; ${howToGet(s)}.`);
}

/** Mismatched files of a dataset folder, checked against every SHA-256 (none: it is whole). */
export async function verifyDataset(name: string, dir = datasetStatus(name).path, onFile?: (done: number, total: number) => void): Promise<{ dir: string; checked: number; problems: string[] }> {
  const source = knownSource(name);
  const all = manifestOf(name);
  const files = dir === source.embedded?.dir ? all.filter(source.embedded.holds) : all;
  const problems: string[] = [];
  let done = 0;
  await forEachLimited(files, 4, async (f) => {
    const file = path.join(dir, f.path);
    const size = await stat(file).then((s) => s.size, () => undefined);
    if (size === undefined) problems.push(`${f.path} is missing`);
    else if (size !== stored(f).size) problems.push(`${f.path} has ${size} bytes, not ${stored(f).size}`);
    else if ((await sha256File(file)) !== stored(f).sha256) problems.push(`${f.path} does not match its SHA-256`);
    onFile?.(++done, files.length);
  });
  problems.sort();
  return { dir, checked: files.length, problems };
}

/** Where a file comes from: the pinned source, or SEG_DATA_MIRROR (a base URL or a folder holding <name>/<source path>). */
function sourceOf(d: DatasetSource, f: ManifestFile): string {
  const mirror = process.env.SEG_DATA_MIRROR;
  if (!mirror) return d.base + f.source;
  if (/^(https?|file):\/\//i.test(mirror)) return `${mirror.replace(/\/+$/, '')}/${d.name}/${f.source}`;
  return path.join(path.resolve(mirror), d.name, f.source);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** DATA/.partial/NAME.lock: one fetch of a dataset at a time; a second waits for the first, then finds it ready. */
async function lockFetch(name: string, log: (s: string) => void): Promise<RunLock> {
  const dir = path.join(dataRoot(), '.partial');
  let told = false;
  for (;;) {
    // made each time: the fetch that held the lock removes the folder when it is done
    await mkdir(dir, { recursive: true });
    try {
      return lockRunDir(dir, { name: `${name}.lock`, advice: 'waiting' });
    } catch (err) {
      // ENOENT: the fetch that held the lock removed the folder between our mkdir and open; try again
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if (!(err instanceof InputError)) throw err;
      if (!told) {
        const h = lockHolder(dir, `${name}.lock`);
        log(`seg data: another fetch of ${name} is running${h ? ` (process ${h.pid} on ${h.host})` : ''}; waiting for it`);
        told = true;
      }
      await sleep(500);
    }
  }
}

export interface FetchOptions {
  log?: (s: string) => void;
  /** Progress on stderr (a bar on a terminal); off in tests. */
  progress?: boolean;
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
  const staging = stagingOf(name);
  const lock = await lockFetch(name, log);
  try {
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
    const from = process.env.SEG_DATA_MIRROR ? `SEG_DATA_MIRROR (${process.env.SEG_DATA_MIRROR})` : new URL(d.base).host;
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
  } finally {
    lock.release();
    // The staging parent goes once nothing is left in it (another dataset's fetch may still use it).
    await rmdir(path.join(dataRoot(), '.partial')).catch(() => {});
  }
}

/**
 * The folder of `name` for a replication: ready ones as they are; a missing
 * one fetched first when its download is at most `fetchUpTo` bytes (saying
 * so), otherwise one sentence with the command that gets it.
 */
export async function ensureDataset(name: string, o: { fetchUpTo?: number; log?: (s: string) => void } = {}): Promise<string> {
  const s = datasetStatus(name);
  if (s.status === 'ready') return s.path;
  if (s.download > (o.fetchUpTo ?? 0)) return datasetPath(name);
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
