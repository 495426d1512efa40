/**
 * One file fetched into place: over HTTP(S) with a resumable `.part` file
 * (an HTTP Range request continues a cut transfer, also in a later process),
 * or copied from a folder (a mirror on a shared disk); checked against its
 * size and SHA-256 before it is renamed to its name, so a file under its own
 * name is always a whole, verified one.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors/input-error.js';

export interface Expected {
  size: number;
  sha256: string;
}

export interface DownloadOptions {
  /** Bytes written so far by this call (resumed bytes included once, at the start). */
  onBytes?: (n: number) => void;
  /** Attempts per file when a connection breaks midway (each resumes where the last stopped). */
  attempts?: number;
  /** What to name when the host cannot be reached ("SEG_DATA_MIRROR"). */
  mirrorHint?: string;
}

/** The SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
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
async function fetchInto(url: string, part: string, from: number, onBytes: (n: number) => void): Promise<void> {
  const res = await fetch(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {}, redirect: 'follow' });
  if (!res.ok || !res.body) await res.body?.cancel(); // undici holds the socket until the body is read or cancelled
  if (res.status === 404 || res.status === 410) throw new InputError(`${url} is not there (HTTP ${res.status}); the source moved or the mirror lacks the file.`);
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
  await pipeline(counted, createWriteStream(part, { flags: append ? 'a' : 'w' }));
}

/**
 * Fetches `source` (an http(s) URL, a file: URL or a path) to `dest`,
 * checked against `expected`. A `dest.part` left by a cut transfer is
 * continued. A file that does not match is removed and named in one
 * sentence with its source.
 */
export async function downloadFile(source: string, dest: string, expected: Expected, o: DownloadOptions = {}): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const onBytes = o.onBytes ?? (() => {});
  const local = source.startsWith('file:') ? fileURLToPath(source) : /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? undefined : source;
  if (local !== undefined) {
    if ((await sizeOf(local)) === undefined) throw new InputError(`${local} is not there; the mirror folder lacks this file.`);
    await pipeline(createReadStream(local), createWriteStream(part));
    onBytes(expected.size);
  } else {
    const attempts = o.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const have = (await sizeOf(part)) ?? 0;
      if (have === expected.size) break;
      if (have > expected.size) {
        await rm(part, { force: true });
        if (attempt > 1) onBytes(-have);
      }
      if (attempt === 1 && have > 0 && have < expected.size) onBytes(have);
      try {
        await fetchInto(source, part, have < expected.size ? have : 0, onBytes);
        break;
      } catch (err) {
        if (err instanceof InputError) throw err;
        const code = unreachable(err);
        if (code) {
          const host = new URL(source).host;
          throw new InputError(`Cannot reach ${host} (${code}) to fetch ${source}; on a machine without access to it, point SEG_DATA_MIRROR at a copy${o.mirrorHint ? ` (${o.mirrorHint})` : ''}.`);
        }
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = `${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
        if (!isCut(err) || attempt >= attempts) throw new InputError(`Fetching ${source} failed after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${why}; run the same command again to resume.`);
      }
    }
  }
  const size = await sizeOf(part);
  const sha = size === expected.size ? await sha256File(part) : undefined;
  if (sha !== expected.sha256) {
    await rm(part, { force: true });
    throw new InputError(`${path.basename(dest)} from ${source} does not match its pinned checksum (${size} bytes${sha ? `, SHA-256 ${sha.slice(0, 12)}…` : ''}; expected ${expected.size} bytes, SHA-256 ${expected.sha256.slice(0, 12)}…): the source or mirror holds a different file.`);
  }
  await rename(part, dest);
}
