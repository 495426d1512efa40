/**
 * Streaming extraction of tar archives, gzip-compressed or not (VOC's
 * VOCtrainval tar, SBD's benchmark.tgz): the archive is read once, in
 * chunks, and each member's bytes go straight to its file, so neither the
 * archive nor a member is held in memory. Reads ustar, GNU (long names) and
 * PAX headers; checks every header's checksum; refuses a member that would
 * land outside the target folder and an archive cut short, in one sentence.
 * A failed write (a full disk, a permission) is one sentence naming the file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors/input-error.js';
import { writeError } from './write-error.js';

export interface TarEntry {
  /** The member's path in the archive ('/'-separated, no leading './'). */
  name: string;
  type: 'file' | 'directory';
  size: number;
  /** The file's SHA-256, computed as it was written (with `hash`). */
  sha256?: string;
}

export interface ExtractOptions {
  /** Members to extract (default all); the others are read past. */
  filter?: (name: string) => boolean;
  /** Called after each member is written. */
  onEntry?: (e: TarEntry) => void;
  /** Bytes of the archive file read so far, after each member (progress against the archive's size). */
  onRead?: (bytes: number) => void;
  /** Hash each file as it is written (a dataset's manifest), so no file is read twice. */
  hash?: boolean;
}

const BLOCK = 512;

/** Where member `name` goes under `root`; undefined when it would land outside (a `..` or an absolute path). */
export function memberTarget(root: string, name: string): string | undefined {
  const target = path.resolve(root, name);
  return target === root || target.startsWith(root + path.sep) ? target : undefined;
}

/** A numeric header field: octal text, or GNU's base-256 (high bit set) for sizes past 8 GB. */
function numberField(b: Buffer, at: number, len: number): number {
  if (b[at]! & 0x80) {
    let n = 0;
    for (let i = at + 1; i < at + len; i++) n = n * 256 + b[i]!;
    return n;
  }
  const text = b.toString('latin1', at, at + len).replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

const text = (b: Buffer, at: number, len: number) => {
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end >= 0 && end < at + len ? end : at + len);
};

/** PAX records: "LEN key=value\n". */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(0x20, at);
    const len = parseInt(data.toString('latin1', at, space), 10);
    if (!(len > 0)) break;
    const record = data.toString('utf8', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

/** What an archive is, by its first bytes: a zip (a local file header), gzip (a .tgz) or else a tar. */
export async function archiveKind(file: string): Promise<'zip' | 'gzip' | 'tar'> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    if (bytesRead === 4 && b.readUInt32LE(0) === 0x04034b50) return 'zip';
    return bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b ? 'gzip' : 'tar';
  } finally {
    await fh.close();
  }
}

/** Writes `file` chunk by chunk; a failed write (a full disk, a permission) is one sentence naming the file. */
async function fileSink(file: string): Promise<{ write: (b: Buffer) => Promise<void>; close: () => Promise<void> }> {
  await mkdir(path.dirname(file), { recursive: true }).catch((err: unknown) => {
    throw writeError(err, file, 'point SEG_DATA_DIR at another disk');
  });
  const out = createWriteStream(file);
  let failed: unknown;
  out.on('error', (err) => (failed ??= err));
  const closed = new Promise<void>((resolve) => out.once('close', resolve));
  const check = () => {
    if (failed) throw writeError(failed, file, 'point SEG_DATA_DIR at another disk');
  };
  return {
    async write(b) {
      check();
      // a stream that failed is closed without a 'drain'
      if (!out.write(b)) await Promise.race([once(out, 'drain').catch(() => {}), closed]);
      check();
    },
    async close() {
      out.end();
      await closed;
      check();
    },
  };
}

/** Extracts `archive` (tar or tar.gz, told apart by its first bytes) into `dest`; returns what it wrote. */
export async function extractTar(archive: string, dest: string, o: ExtractOptions = {}): Promise<TarEntry[]> {
  const label = path.basename(archive);
  const fail = (what: string): never => {
    throw new InputError(`${archive}: ${what}.`);
  };
  const source = createReadStream(archive);
  const gunzip = (await archiveKind(archive)) === 'gzip' ? createGunzip() : undefined;
  const stream = gunzip ? source.pipe(gunzip) : source;
  const root = path.resolve(dest);
  const written: TarEntry[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let offset = 0; // bytes of the tar stream consumed
  let ended = false;
  const chunks = stream[Symbol.asyncIterator]();
  /** At least `n` bytes in `buf` (false at the end of the stream). */
  const fill = async (n: number) => {
    while (buf.length < n && !ended) {
      const r = (await chunks.next().catch((err: Error) => fail(`does not decompress (${err.message})`))) as IteratorResult<Buffer>;
      if (r.done) ended = true;
      else buf = buf.length ? Buffer.concat([buf, r.value]) : r.value;
    }
    return buf.length >= n;
  };
  const take = (n: number) => {
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    offset += n;
    return out;
  };
  /** A member's data, padded to the block size, to `sink` (a file) or nowhere. */
  const pipeData = async (size: number, name: string, sink?: (b: Buffer) => Promise<void>) => {
    for (let left = size; left > 0; ) {
      if (!(await fill(1))) fail(`cut short inside ${name} (${left} of its ${size} bytes missing)`);
      const part = take(Math.min(left, buf.length));
      left -= part.length;
      if (sink) await sink(part);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad && !(await fill(pad))) fail(`cut short after ${name}`);
    take(pad);
  };
  const collect = async (size: number, name: string) => {
    const parts: Buffer[] = [];
    await pipeData(size, name, async (b) => void parts.push(Buffer.from(b)));
    return Buffer.concat(parts);
  };
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  try {
    for (;;) {
      // of a gzip stream, the compressed bytes inflated so far
      o.onRead?.(gunzip ? gunzip.bytesWritten : offset);
      if (!(await fill(BLOCK))) {
        if (buf.length) fail(`cut short in a header at byte ${offset}`);
        break; // the end of the stream on a block boundary (some writers leave out the two zero blocks)
      }
      const at = offset;
      const h = take(BLOCK);
      if (h.every((x) => x === 0)) break;
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
      if (sum !== numberField(h, 148, 8)) fail(`the member header at byte ${at} is corrupt (its checksum does not match)`);
      const size = numberField(h, 124, 12);
      const flag = String.fromCharCode(h[156]!);
      const ustar = h.toString('latin1', 257, 262) === 'ustar';
      const prefix = ustar ? text(h, 345, 155) : '';
      const headerName = (prefix ? `${prefix}/` : '') + text(h, 0, 100);
      if (flag === 'L') {
        longName = (await collect(size, 'a long name')).toString('utf8').replace(/\0+$/, '');
        continue;
      }
      if (flag === 'x') {
        pax = paxRecords(await collect(size, 'a PAX header'));
        continue;
      }
      if (flag === 'g' || flag === 'K') {
        await pipeData(size, 'a global header');
        continue;
      }
      const name = (pax.path ?? longName ?? headerName).replace(/^\.\//, '');
      const length = pax.size !== undefined ? Number(pax.size) : size;
      longName = undefined;
      pax = {};
      const kind = flag === '5' ? 'directory' : flag === '0' || flag === '\0' || flag === '7' ? 'file' : undefined;
      const target = memberTarget(root, name) ?? (kind ? fail(`member ${name} would be written outside ${dest}; seg does not extract it`) : root);
      if (!kind || (o.filter && !o.filter(name))) {
        // Links, devices and unwanted members are read past.
        await pipeData(kind === 'directory' ? 0 : length, name);
        continue;
      }
      const hash = o.hash && kind === 'file' ? createHash('sha256') : undefined;
      if (kind === 'directory') {
        await mkdir(target, { recursive: true }).catch((err: unknown) => {
          throw writeError(err, target, 'point SEG_DATA_DIR at another disk');
        });
      } else {
        const out = await fileSink(target);
        try {
          await pipeData(length, name, async (b) => {
            hash?.update(b);
            await out.write(b);
          });
        } catch (err) {
          await out.close().catch(() => {});
          throw err;
        }
        await out.close();
      }
      const e: TarEntry = { name: name.replace(/\/$/, ''), type: kind, size: kind === 'file' ? length : 0, ...(hash ? { sha256: hash.digest('hex') } : {}) };
      written.push(e);
      o.onEntry?.(e);
    }
    // The rest (padding after the end blocks) is read too, so a cut or corrupt gzip stream is caught.
    while (!ended) {
      buf = Buffer.alloc(0);
      await fill(1);
    }
  } finally {
    source.destroy();
  }
  if (written.length === 0 && offset === 0) fail(`not a tar archive (${label} is empty)`);
  return written;
}
