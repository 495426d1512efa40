/**
 * Datasets published as archives, on this machine. `fetchArchiveDataset`
 * gets each archive (a resumable download from its publisher, then its
 * mirrors, or SEG_DATA_MIRROR; or a copy in a folder the user names, for an
 * archive behind a login) checked against its pinned size and digests; the
 * dataset's prepare step writes seg's layout into a staging folder, every
 * file hashed as it is written into the folder's manifest
 * (.seg-manifest.json), which also records the dataset and the archives'
 * pins; then the folder moves into place at once and the downloaded
 * archives are deleted. A dataset is ready when its manifest is there, is
 * its own, names the archives seg pins now, and every file it lists is there
 * at its size, so a cut or failed fetch never leaves one that looks ready;
 * `verify` checks every SHA-256. A folder seg did not prepare is never
 * replaced, and files of the user's in a prepared one are kept.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors/input-error.js';
import { atomicWriteFile } from '../io/atomic-write.js';
import { DIGEST_NAMES, downloadFile, isLocalWriteFailure, mismatch, pinnedDigests } from '../io/download.js';
import { formatBytes, TaskProgress } from '../io/task-progress.js';
import { archiveKind, extractTar, type TarEntry } from '../io/tar.js';
import { writeError } from '../io/write-error.js';
import { extractZip } from '../io/zip.js';
import { mirrorSource, type ArchiveFile, type DatasetSource, type Preparation } from './catalog.js';
import { checkFiles, presentFiles, type FolderFile } from './folder-files.js';

/** The manifest a prepared folder holds, beside its files. */
export const PREPARED = '.seg-manifest.json';

/** An archive as pinned (what a manifest records of it). */
type Pin = Omit<ArchiveFile, 'urls' | 'byHand'>;
const pinOf = ({ urls: _u, byHand: _b, ...pin }: ArchiveFile): Pin => pin;
const samePin = (a: Pin, b: Pin) => a.file === b.file && a.size === b.size && a.sha256 === b.sha256 && a.sha1 === b.sha1 && a.md5 === b.md5;

export interface Prepared {
  dataset: string;
  /** The archives it was prepared from, as pinned. */
  archives: Pin[];
  files: FolderFile[];
}

/**
 * What a dataset's folder holds: nothing (no folder, or an empty one);
 * files seg did not prepare for this dataset (`foreign`: no manifest, or
 * another dataset's); seg's folder prepared from archives it no longer pins
 * (`stale`); or seg's folder (`prepared`, whole or not).
 */
export type FolderState = { kind: 'none' } | { kind: 'foreign'; why: string } | { kind: 'stale'; why: string; manifest: Prepared } | { kind: 'prepared'; manifest: Prepared };

export function folderState(dir: string, d: DatasetSource): FolderState {
  let m: Prepared | undefined;
  let unreadable = false;
  try {
    m = JSON.parse(readFileSync(path.join(dir, PREPARED), 'utf8')) as Prepared;
    if (!Array.isArray(m.files) || !Array.isArray(m.archives)) [m, unreadable] = [undefined, true];
  } catch (err) {
    unreadable = (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  if (!m) {
    const empty = (statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false) ? readdirSync(dir).length === 0 : !existsSync(dir);
    return empty && !unreadable ? { kind: 'none' } : { kind: 'foreign', why: unreadable ? `holds a ${PREPARED} seg cannot read` : `holds no ${PREPARED}` };
  }
  if (m.dataset !== d.name) return { kind: 'foreign', why: `holds the ${PREPARED} of ${m.dataset}` };
  const pins = (d.archives ?? []).map(pinOf);
  const changed = pins.filter((p) => !m.archives.some((q) => samePin(p, q))).map((p) => p.file);
  if (changed.length || pins.length !== m.archives.length) {
    return { kind: 'stale', why: `${d.name} in ${dir} was prepared from archives seg no longer pins (${(changed.length ? changed : pins.map((p) => p.file)).join(', ')})`, manifest: m };
  }
  return { kind: 'prepared', manifest: m };
}

/** The one sentence for a folder of the dataset's name that seg did not prepare: it is left alone. */
export function foreignSentence(d: DatasetSource, dir: string, why: string): string {
  return `${dir} ${why}, so it is not a folder seg prepared for ${d.name} and seg data get leaves it alone: move it away and run \`seg data get ${d.name}\` again, or read it as it is with --data ${dir} --format ${d.format}.`;
}

/**
 * One sentence when --from names a folder that lacks an archive seg would
 * otherwise download (an archive fetched by hand has byHandSentence): a
 * named folder is never passed over for a download.
 */
export function checkFrom(d: DatasetSource, from: string): void {
  const dir = path.resolve(from);
  const lacking = (d.archives ?? []).filter((a) => !a.byHand && !existsSync(path.join(dir, a.file))).map((a) => a.file);
  if (!lacking.length) return;
  const it = lacking.length > 1 ? 'them' : 'it';
  const where = existsSync(dir) ? `holds no ${lacking.join(' or ')}` : `is not a folder (it should hold ${lacking.join(' and ')})`;
  throw new InputError(`--from ${from} ${where}; put ${it} there, or leave out --from to download ${it}.`);
}

/** Paths of the files under `dir` ('/'-separated), none when there is no such folder. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/** Makes `dir` (with its parents); a failed write is one sentence naming it. */
const makeDir = (dir: string) =>
  mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw writeError(err, dir, 'point SEG_DATA_DIR at another disk');
  });

/** Moves `from` to `to`; a failed move is one sentence naming `to`. */
const move = (from: string, to: string) =>
  rename(from, to).catch((err: unknown) => {
    throw writeError(err, to, 'point SEG_DATA_DIR at another disk');
  });

/** The folder where the archives of a dataset fetched by hand are looked for when no --from names one. */
export const byHandDir = (root: string, name: string) => path.join(root, 'downloads', name);

const describe = (a: ArchiveFile) => (a.size !== undefined ? formatBytes(a.size) : (a.about ?? 'size not pinned'));

/** The one sentence that says how to get the archives of a dataset fetched by hand. */
export function byHandSentence(d: DatasetSource, missing: ArchiveFile[], dir: string, named: boolean): string {
  const files = missing.map((a) => `${a.file} (${describe(a)}${a.byHand?.note ? `, ${a.byHand.note}` : ''})`);
  const page = missing[0]?.byHand?.page ?? '';
  const again = named ? `\`seg data get ${d.name} --from ${dir}\`` : `\`seg data get ${d.name}\` (or name another folder with --from DIR)`;
  return `${d.name} is served only after a login: download ${files.join(' and ')} from ${page} into ${dir}, then run ${again}.`;
}

/** Fetches one archive to `dest`, from each of its sources in turn until one serves the pinned file. */
async function downloadArchive(d: DatasetSource, a: ArchiveFile, dest: string, count: (n: number) => void, log: (s: string) => void): Promise<void> {
  const mirror = process.env.SEG_DATA_MIRROR;
  const sources = mirror ? [mirrorSource(mirror, d.name, a.file)] : a.urls;
  const failed: string[] = [];
  for (const [i, source] of sources.entries()) {
    let mine = 0;
    try {
      await downloadFile(source, dest, a, {
        onBytes: (n) => {
          mine += n;
          count(n);
        },
        mirrorHint: `a base URL or folder holding ${d.name}/${a.file}`,
      });
      return;
    } catch (err) {
      count(-mine); // the next source reports the resumed part again
      // a full disk or a permission here: no other source gets past it
      if (!(err instanceof InputError) || isLocalWriteFailure(err)) throw err;
      failed.push(err.message.replace(/\.$/, ''));
      if (i < sources.length - 1) log(`seg data: ${err.message} Trying ${new URL(sources[i + 1]!).host} instead.`);
    }
  }
  if (failed.length === 1) throw new InputError(`${failed[0]}.`);
  throw new InputError(`None of the ${failed.length} sources of ${a.file} served it: ${failed.join('; ')}.`);
}

export interface ArchiveFetch {
  /** The data root and the dataset's folder there. */
  root: string;
  target: string;
  /** The staging folder (DATA/.partial/NAME); archives are fetched into NAME.archives beside it. */
  staging: string;
  /** The folders of the datasets `needs` names, ready. */
  needs: string[];
  /** A folder that holds archives the user fetched (by hand, or a browser's download). */
  from?: string;
  log: (s: string) => void;
  progress?: boolean;
}

/**
 * Moves the prepared staging folder into place. A folder there already is
 * seg's (folderState said so): its files beyond its old manifest are the
 * user's, and move into the new folder; where the new one has a file of the
 * same path, the old folder (with those files) is kept beside it, under a
 * name the log states. Only files seg wrote are ever deleted.
 */
async function place(o: ArchiveFetch, name: string, old: Prepared | undefined, made: Set<string>): Promise<void> {
  if (!existsSync(o.target)) {
    await makeDir(path.dirname(o.target));
    await move(o.staging, o.target);
    return;
  }
  const known = new Set([PREPARED, ...(old?.files.map((f) => f.path) ?? [])]);
  const extras = filesUnder(o.target).filter((f) => !known.has(f));
  const clash = extras.filter((f) => made.has(f));
  const kept = extras.filter((f) => !made.has(f));
  for (const f of kept) {
    await makeDir(path.dirname(path.join(o.staging, f)));
    await move(path.join(o.target, f), path.join(o.staging, f));
  }
  if (kept.length) o.log(`seg data: ${kept.length} file${kept.length > 1 ? 's' : ''} in ${o.target} that ${kept.length > 1 ? 'are' : 'is'} not part of ${name} stay${kept.length > 1 ? '' : 's'} there (${kept.slice(0, 3).join(', ')}${kept.length > 3 ? ', …' : ''})`);
  let aside = `${o.staging}.old`;
  if (clash.length) {
    aside = `${o.target}.old`;
    for (let n = 2; existsSync(aside); n++) aside = `${o.target}.old-${n}`;
  }
  await move(o.target, aside);
  await move(o.staging, o.target);
  if (clash.length) o.log(`seg data: ${clash.length} file${clash.length > 1 ? 's' : ''} of yours in ${o.target} had the path of a file of the new ${name} (${clash.slice(0, 3).join(', ')}${clash.length > 3 ? ', …' : ''}); the old folder, with those files, is kept as ${aside}`);
  else await rm(aside, { recursive: true, force: true });
}

/** Gets and prepares an archive dataset; returns whether anything had to be done. */
export async function fetchArchiveDataset(d: DatasetSource, o: ArchiveFetch): Promise<boolean> {
  const { log } = o;
  const archives = d.archives ?? [];
  const state = folderState(o.target, d);
  if (state.kind === 'foreign') throw new InputError(foreignSentence(d, o.target, state.why));
  if (o.from !== undefined) checkFrom(d, o.from);
  const old = state.kind === 'none' ? undefined : state.manifest;
  if (state.kind === 'stale') log(`seg data: ${state.why}; preparing it again`);
  if (state.kind === 'prepared') {
    // Sizes first (a stat each): a folder missing files is prepared again without hashing the rest.
    const files = state.manifest.files;
    const short = files.length - presentFiles(o.target, files).count;
    const problems = short ? [] : await checkFiles(o.target, files);
    if (!short && problems.length === 0) return false;
    const why = short ? `${short} of ${files.length} files of ${d.name} in ${o.target} are missing or not at their size` : `${problems.length} of ${files.length} files of ${d.name} in ${o.target} do not check out (${problems.slice(0, 2).join('; ')})`;
    log(`seg data: ${why}; preparing it again from its archives`);
  }

  // The archives: a copy the user names, one fetched before (under its own name only when whole and verified), or a download.
  const downloads = `${o.staging}.archives`;
  const paths = new Map<string, string>();
  const given: ArchiveFile[] = [];
  const missingByHand: ArchiveFile[] = [];
  const handDir = o.from ? path.resolve(o.from) : byHandDir(o.root, d.name);
  const todo: ArchiveFile[] = [];
  for (const a of archives) {
    const named = o.from || a.byHand ? path.join(handDir, a.file) : undefined;
    if (named && existsSync(named)) {
      paths.set(a.file, named);
      given.push(a);
    } else if (a.byHand && (o.from || !process.env.SEG_DATA_MIRROR)) missingByHand.push(a);
    else if (existsSync(path.join(downloads, a.file))) paths.set(a.file, path.join(downloads, a.file));
    else todo.push(a);
  }
  if (missingByHand.length) throw new InputError(byHandSentence(d, missingByHand, handDir, o.from !== undefined));
  for (const a of given) {
    const file = paths.get(a.file)!;
    const digest = DIGEST_NAMES[pinnedDigests(a)[0]!];
    log(`seg data: checking ${file} (${formatBytes(statSync(file).size)}) against its pinned ${a.size !== undefined ? 'size and ' : ''}${digest}`);
    const problem = await mismatch(file, a);
    if (problem) throw new InputError(`${file} is not the ${a.file} seg pins (${problem}); fetch it again${a.byHand ? ` from ${a.byHand.page}` : ''}.`);
  }
  if (todo.length) {
    const from = process.env.SEG_DATA_MIRROR ? `SEG_DATA_MIRROR (${process.env.SEG_DATA_MIRROR})` : [...new Set(todo.map((a) => new URL(a.urls[0]!).host))].join(', ');
    const total = todo.reduce((s, a) => s + (a.size ?? 0), 0);
    const unknown = todo.some((a) => a.size === undefined);
    log(`seg data: fetching ${d.name}: ${todo.map((a) => a.file).join(', ')} (${total || !unknown ? formatBytes(total) : ''}${unknown ? `${total ? ' and ' : ''}a size no source states` : ''}) from ${from}`);
    const bar = o.progress && total > 0 ? new TaskProgress(`seg data get ${d.name}`, total, { unit: 'bytes' }) : undefined;
    let bytes = 0;
    try {
      for (const a of todo) {
        const dest = path.join(downloads, a.file);
        await downloadArchive(d, a, dest, (n) => bar?.update(Math.min((bytes += n), total)), log);
        paths.set(a.file, dest);
      }
    } finally {
      bar?.end();
    }
  }

  // Seg's layout, written afresh into the staging folder.
  await rm(o.staging, { recursive: true, force: true });
  const scratch = `${o.staging}.scratch`;
  for (const leftover of [scratch, `${o.staging}.old`]) await rm(leftover, { recursive: true, force: true });
  await makeDir(o.staging);
  await makeDir(scratch);
  const files: FolderFile[] = [];
  const made = new Set<string>();
  const dirOf = async (file: string) => {
    const dir = path.dirname(file);
    if (!made.has(dir)) {
      await makeDir(dir);
      made.add(dir);
    }
  };
  const p: Preparation = {
    name: d.name,
    out: o.staging,
    needs: o.needs,
    counts: d.counts ?? {},
    scratch,
    log,
    archive(file) {
      const at = paths.get(file);
      if (!at) throw new Error(`${d.name}'s prepare step asked for ${file}, which is not one of its archives.`);
      return at;
    },
    async unpack(file, u) {
      const archive = p.archive(file);
      const area = path.join(scratch, '.unpack');
      await rm(area, { recursive: true, force: true });
      const take = (name: string) => name.startsWith(u.strip) && (name.length === u.strip.length || u.keep(name.slice(u.strip.length)));
      log(`seg data: unpacking ${file}`);
      // progress: the archive's bytes read, against its size (a member's own size is not, of a compressed archive)
      const size = statSync(archive).size;
      const bar = o.progress ? new TaskProgress(`unpacking ${file}`, size, { unit: 'bytes' }) : undefined;
      let read = 0;
      const onRead = (n: number) => bar?.update((read = Math.min(Math.max(read, n), size)));
      let entries: TarEntry[];
      try {
        entries = await ((await archiveKind(archive)) === 'zip' ? extractZip : extractTar)(archive, area, { filter: take, hash: !u.scratch, onRead });
      } finally {
        bar?.end();
      }
      const rels: string[] = [];
      for (const e of entries) {
        if (e.type !== 'file' || e.name.length === u.strip.length) continue;
        const rel = e.name.slice(u.strip.length);
        const to = path.join(u.scratch ? scratch : o.staging, rel);
        await dirOf(to);
        await move(path.join(area, e.name), to);
        if (!u.scratch) files.push({ path: rel, size: e.size, sha256: e.sha256! });
        rels.push(rel);
      }
      await rm(area, { recursive: true, force: true });
      return rels;
    },
    async write(rel, bytes) {
      const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      const to = path.join(o.staging, rel);
      await dirOf(to);
      await writeFile(to, data).catch((err: unknown) => {
        throw writeError(err, to, 'point SEG_DATA_DIR at another disk');
      });
      files.push({ path: rel, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    },
    expectCount(key, got, what) {
      const want = d.counts?.[key];
      if (want !== undefined && got !== want) throw new InputError(`${what} has ${got} entries, not the ${want} of the source ${d.name} pins; the archives are not the pinned ones, or seg's reading of them is wrong.`);
    },
  };
  try {
    await d.prepare!(p);
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest: Prepared = { dataset: d.name, archives: archives.map(pinOf), files };
    await atomicWriteFile(path.join(o.staging, PREPARED), `${JSON.stringify(manifest, null, 1)}\n`);
  } catch (err) {
    // Nothing half-made stays; the verified archives do, so the next try does not fetch them again.
    await rm(o.staging, { recursive: true, force: true });
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  await place(o, d.name, old, new Set(files.map((f) => f.path)));
  // The downloaded archives go (the prepared folder is what seg reads); archives the user named stay where they are.
  await rm(downloads, { recursive: true, force: true });
  if (given.length) log(`seg data: ${given.map((a) => paths.get(a.file)).join(' and ')} ${given.length > 1 ? 'are' : 'is'} no longer needed by seg`);
  return true;
}
