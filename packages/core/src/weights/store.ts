/**
 * The weights on this machine: under SEG_WEIGHTS_DIR (default
 * $XDG_CACHE_HOME/seg/weights, i.e. ~/.cache/seg/weights), one
 * NAME.safetensors each. A file is there under its name only whole and
 * verified (downloads go to NAME.safetensors.part, resumed by a later get).
 */
import { existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError } from '../errors/input-error.js';
import { downloadFile, sha256File } from '../io/download.js';
import { readSafetensorsHeader } from '../io/safetensors.js';
import { archOfHeader } from './torchvision-names.js';
import { waitForLock } from '../io/run-lock.js';
import { formatBytes, TaskProgress } from '../io/task-progress.js';
import { didYouMean } from '../suggest.js';
import { WEIGHTS, weightsSource, weightsUrl, type WeightsSource } from './catalog.js';

export function weightsRoot(): string {
  if (process.env.SEG_WEIGHTS_DIR) return path.resolve(process.env.SEG_WEIGHTS_DIR);
  const cache = process.env.XDG_CACHE_HOME ? path.resolve(process.env.XDG_CACHE_HOME) : path.join(homedir(), '.cache');
  return path.join(cache, 'seg', 'weights');
}

export interface WeightsStatus {
  name: string;
  arch: string;
  status: 'ready' | 'partial' | 'missing';
  path: string;
  /** Bytes on disk (the file, or what a cut download left). */
  bytes: number;
  download: number;
  source: string;
}

export function knownWeights(name: string): WeightsSource {
  const w = weightsSource(name);
  if (w) return w;
  const near = didYouMean(name, WEIGHTS.map((x) => x.name));
  throw new InputError(`Unknown weights "${name}"${near ? ` (${near})` : ''}; seg weights list shows them (${WEIGHTS.map((x) => x.name).join(', ')}).`);
}

const fileOf = (w: WeightsSource) => path.join(weightsRoot(), `${w.name}.safetensors`);
/** Where a file with no published hash lands until its structure is checked. */
const unchecked = (file: string) => `${file}.unchecked`;

/** Where `name` stands (a stat, no hashing: `verify` hashes). */
export function weightsStatus(name: string): WeightsStatus {
  const w = knownWeights(name);
  const file = fileOf(w);
  const size = statSync(file, { throwIfNoEntry: false })?.size;
  const part = statSync(`${file}.part`, { throwIfNoEntry: false })?.size ?? statSync(`${unchecked(file)}.part`, { throwIfNoEntry: false })?.size;
  // A file takes its name only once checked (or the user put it there: `verify` checks it); a derived size is not held against it.
  const whole = size !== undefined && (w.sizeFrom === 'derived' || size === w.size);
  const status = whole ? 'ready' : size !== undefined || part !== undefined ? 'partial' : 'missing';
  return { name, arch: w.arch, status, path: file, bytes: size ?? part ?? 0, download: w.size, source: weightsUrl(w, '') };
}

export const listWeights = () => WEIGHTS.map((w) => weightsStatus(w.name));

/** The file of ready weights, or one sentence with the command that gets them. */
export function weightsFile(name: string): string {
  const s = weightsStatus(name);
  if (s.status === 'ready') return s.path;
  throw new InputError(`The ${name} weights are not in ${weightsRoot()}; run \`seg weights get ${name}\` (${formatBytes(s.download)} from the Hugging Face Hub), or point SEG_WEIGHTS_DIR at a folder that holds ${name}.safetensors.`);
}

/** The sentence (without its full stop) saying why `file` is not a whole safetensors file of `w`'s architecture, or undefined. */
async function structureProblem(file: string, w: WeightsSource): Promise<string | undefined> {
  const h = await readSafetensorsHeader(file).catch((e: Error) => e);
  if (h instanceof Error) return h.message.replace(/\.$/, '');
  let arch: string;
  try {
    arch = archOfHeader(h, file);
  } catch (e) {
    return (e as Error).message.replace(/\.$/, '');
  }
  if (arch !== w.arch) return `${file} holds ${arch}, not ${w.arch}`;
  // The header's byte ranges tile the data: the file must end where the last one does.
  const end = Math.max(0, ...[...h.tensors.values()].map((t) => t.offsets[1]));
  const size = statSync(file).size;
  return size === h.dataStart + end ? undefined : `${file} has ${size} bytes where its header says ${h.dataStart + end} (cut short, or more appended)`;
}

/**
 * Whether the file matches its pins: its SHA-256 (and published size); a
 * file with no published hash must be a whole safetensors file of its
 * architecture (`unpinned` says so). A sentence when it does not.
 */
export async function verifyWeights(name: string): Promise<{ file: string; problem?: string; unpinned?: boolean }> {
  const w = knownWeights(name);
  const file = fileOf(w);
  const size = statSync(file, { throwIfNoEntry: false })?.size;
  if (size === undefined) return { file, problem: `${file} is not there` };
  if (w.sizeFrom === 'published' && size !== w.size) return { file, problem: `${file} has ${size} bytes, not ${w.size}` };
  if (w.sha256 === null) {
    const problem = await structureProblem(file, w);
    return problem ? { file, problem } : { file, unpinned: true };
  }
  if ((await sha256File(file)) !== w.sha256) return { file, problem: `${file} does not match its pinned SHA-256` };
  return { file };
}

/**
 * Fetches `name` unless it is there and verified, and returns its file:
 * resumable, checked against its pinned size and SHA-256 before it takes
 * its name.
 */
export async function fetchWeights(name: string, o: { log?: (s: string) => void; progress?: boolean } = {}): Promise<string> {
  const w = knownWeights(name);
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const file = fileOf(w);
  // One fetch of a file at a time: a second waits, then finds it there.
  const lock = await waitForLock(weightsRoot(), `${name}.lock`, (who) => log(`seg weights: another fetch of ${name} is running (${who}); waiting for it`));
  try {
    if (existsSync(file) && !(await verifyWeights(name)).problem) {
      log(`seg weights: ${name} is ready in ${file} (nothing was missing)`);
      return file;
    }
    const url = weightsUrl(w);
    const from = process.env.SEG_WEIGHTS_MIRROR ? `SEG_WEIGHTS_MIRROR (${process.env.SEG_WEIGHTS_MIRROR})` : new URL(url).host;
    log(`seg weights: fetching ${name}: ${formatBytes(w.size)} from ${from} into ${file}`);
    const bar = o.progress ? new TaskProgress(`seg weights get ${name}`, w.size, { unit: 'bytes' }) : undefined;
    let bytes = 0;
    // A file with no published hash is checked for its structure under another name before it takes its own.
    const dest = w.sha256 ? file : unchecked(file);
    try {
      await downloadFile(url, dest, { ...(w.sizeFrom === 'published' ? { size: w.size } : {}), ...(w.sha256 ? { sha256: w.sha256 } : { checkedByCaller: true }) }, {
        onBytes: (n) => bar?.update((bytes += n)),
        mirrorHint: `a base URL or folder holding ${w.repo}/resolve/${w.revision}/${w.file}`,
        mirrorVariable: 'SEG_WEIGHTS_MIRROR',
      });
    } finally {
      bar?.end();
    }
    if (dest !== file) {
      const problem = await structureProblem(dest, w);
      if (problem) {
        await rm(dest, { force: true });
        throw new InputError(`${problem}; the source or mirror holds a different file.`);
      }
      await rename(dest, file);
    }
    log(`seg weights: ${name} is ready in ${file}`);
    return file;
  } finally {
    lock.release();
  }
}
