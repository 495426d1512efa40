/**
 * One file fetched into place: over HTTP(S) with a resumable `.part` file
 * (an HTTP Range request continues a cut transfer, also in a later process),
 * or copied from a folder (a mirror on a shared disk); checked against its
 * size and SHA-256 (or the MD5 or SHA-1 a source publishes instead) before it
 * is renamed to its name, so a file under its own name is always a whole,
 * verified one.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors/input-error.js';
import { writeError } from './write-error.js';

export interface Expected {
  /** Bytes; left out where no source states them (the digests still decide). */
  size?: number;
  sha256?: string;
  /** What an older source publishes instead of (or beside) a SHA-256: every digest given is checked. */
  sha1?: string;
  md5?: string;
  /** No digest is published: the caller checks the file itself after the download (its structure). */
  checkedByCaller?: boolean;
}

/** The digests a file is checked against, strongest first. */
export const DIGESTS = ['sha256', 'sha1', 'md5'] as const;
export type Digest = (typeof DIGESTS)[number];
export const DIGEST_NAMES: Record<Digest, string> = { sha256: 'SHA-256', sha1: 'SHA-1', md5: 'MD5' };

export interface DownloadOptions {
  /** Bytes written so far by this call (resumed bytes included once, at the start). */
  onBytes?: (n: number) => void;
  /** Attempts per file when a connection breaks midway (each resumes where the last stopped). */
  attempts?: number;
  /** What a mirror must hold, said when the host cannot be reached. */
  mirrorHint?: string;
  /** The variable that names a mirror (default SEG_DATA_MIRROR). */
  mirrorVariable?: string;
}

/** The SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** The named digests of a file, in one streamed read. */
export async function hashFile(file: string, digests: readonly Digest[]): Promise<Partial<Record<Digest, string>>> {
  const hashes = digests.map((d) => createHash(d));
  for await (const chunk of createReadStream(file)) for (const h of hashes) h.update(chunk as Buffer);
  return Object.fromEntries(digests.map((d, i) => [d, hashes[i]!.digest('hex')]));
}

/** The digests `expected` pins, strongest first. */
export const pinnedDigests = (expected: Expected): Digest[] => DIGESTS.filter((d) => expected[d] !== undefined);

/** Errors of writing the file here (a full disk, a permission), which no other source gets past. */
const localFailures = new WeakSet<Error>();
export const isLocalWriteFailure = (err: unknown) => localFailures.has(err as Error);
function localFailure(err: unknown, file: string): Error {
  const e = writeError(err, file, 'point SEG_DATA_DIR or SEG_WEIGHTS_DIR at another disk');
  localFailures.add(e);
  return e;
}

/** `source` piped into `file`; a failed write is one sentence naming the file, a failed read the error as it came. */
async function pipeInto(source: NodeJS.ReadableStream, file: string, flags = 'w'): Promise<void> {
  const out = createWriteStream(file, { flags });
  let failed: unknown;
  out.on('error', (err) => (failed ??= err));
  await pipeline(source, out).catch((err: unknown) => {
    throw failed ? localFailure(failed, file) : err;
  });
}

const sizeOf = (file: string) => stat(file).then((s) => s.size, () => undefined);

/** Network failures that a retry (with Range) may get past, as opposed to a host that cannot be reached at all. */
function isCut(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || /terminated|aborted|premature/i.test((err as Error).message ?? '');
}

function unreachable(err: unknown): string | undefined {
  const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  return code && ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(code) ? code : undefined;
}

/** Appends the bytes of `url` from `from` onwards to `part`; returns false when the server ignored the Range and sent the whole file (written from 0). */
async function fetchInto(url: string, part: string, from: number, onBytes: (n: number) => void, sizeUnknown = false): Promise<void> {
  const res = await fetch(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {}, redirect: 'follow' });
  if (!res.ok || !res.body) await res.body?.cancel(); // undici holds the socket until the body is read or cancelled
  if (res.status === 404 || res.status === 410) throw new InputError(`${url} is not there (HTTP ${res.status}); the source moved or the mirror lacks the file.`);
  // Without a pinned size, a 416 to a Range from the part's end says the part is whole: the digests decide.
  if (res.status === 416 && sizeUnknown && from > 0) return;
  if (res.status === 416 || res.status === 429 || res.status >= 500) {
    // 416: the part is already as long as the file (or longer): start again; 429 and 5xx: the host's trouble, worth a retry.
    if (res.status === 416) {
      await rm(part, { force: true });
      onBytes(-from);
    }
    throw Object.assign(new Error(`HTTP ${res.status} ${res.statusText}`), { code: 'ECONNRESET' });
  }
  if (!res.ok || !res.body) throw new InputError(`${url} answered HTTP ${res.status} ${res.statusText}.`);
  const append = from > 0 && res.status === 206;
  if (from > 0 && !append) onBytes(-from); // a full answer: the part starts over
  const counted = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  counted.on('data', (chunk: Buffer) => onBytes(chunk.length));
  await pipeInto(counted, part, append ? 'a' : 'w');
}

/**
 * Fetches `source` (an http(s) URL, a file: URL or a path) to `dest`,
 * checked against `expected`. A `dest.part` left by a cut transfer is
 * continued. A file that does not match is removed and named in one
 * sentence with its source.
 */
export async function downloadFile(source: string, dest: string, expected: Expected, o: DownloadOptions = {}): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true }).catch((err: unknown) => {
    throw localFailure(err, dest);
  });
  const part = `${dest}.part`;
  const onBytes = o.onBytes ?? (() => {});
  const local = source.startsWith('file:') ? fileURLToPath(source) : /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? undefined : source;
  if (local !== undefined) {
    if ((await sizeOf(local)) === undefined) throw new InputError(`${local} is not there; the mirror folder lacks this file.`);
    await pipeInto(createReadStream(local), part);
    onBytes((await sizeOf(part)) ?? 0);
  } else {
    const attempts = o.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const have = (await sizeOf(part)) ?? 0;
      const want = expected.size ?? Infinity;
      if (have === want) break;
      if (have > want) {
        await rm(part, { force: true });
        if (attempt > 1) onBytes(-have);
      }
      if (attempt === 1 && have > 0 && have < want) onBytes(have);
      try {
        await fetchInto(source, part, have < want ? have : 0, onBytes, expected.size === undefined);
        break;
      } catch (err) {
        if (err instanceof InputError || isLocalWriteFailure(err)) throw err;
        const code = unreachable(err);
        if (code) {
          const host = new URL(source).host;
          throw new InputError(`Cannot reach ${host} (${code}) to fetch ${source}; on a machine without access to it, point ${o.mirrorVariable ?? 'SEG_DATA_MIRROR'} at a copy${o.mirrorHint ? ` (${o.mirrorHint})` : ''}.`);
        }
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = `${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
        if (!isCut(err) || attempt >= attempts) throw new InputError(`Fetching ${source} failed after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${why}; run the same command again to resume.`);
      }
    }
  }
  const problem = await mismatch(part, expected);
  if (problem) {
    await rm(part, { force: true });
    throw new InputError(`${path.basename(dest)} from ${source} does not match its pinned checksum (${problem}): the source or mirror holds a different file.`);
  }
  await rename(part, dest).catch((err: unknown) => {
    throw localFailure(err, dest);
  });
}

/**
 * Why `file` is not the file `expected` pins ("N bytes, SHA-256 abc…;
 * expected M bytes, SHA-256 def…"), or undefined when it is: its size, then
 * every pinned digest, read once.
 */
export async function mismatch(file: string, expected: Expected): Promise<string | undefined> {
  const digests = pinnedDigests(expected);
  if (digests.length === 0) {
    if (expected.checkedByCaller) return undefined;
    throw new Error(`No checksum is pinned for ${file}.`);
  }
  const size = await sizeOf(file);
  const got = size !== undefined && (expected.size === undefined || size === expected.size) ? await hashFile(file, digests) : undefined;
  const bad = got ? digests.find((d) => got[d] !== expected[d]) : digests[0]!;
  if (!bad) return undefined;
  const name = DIGEST_NAMES[bad];
  return `${size ?? 0} bytes${got ? `, ${name} ${got[bad]!.slice(0, 12)}…` : ''}; expected ${expected.size !== undefined ? `${expected.size} bytes, ` : ''}${name} ${expected[bad]!.slice(0, 12)}…`;
}
