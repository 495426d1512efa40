/**
 * Streaming extraction of zip archives (ADE20K's ADEChallengeData2016.zip,
 * Cityscapes' zips): the central directory says where each member is, and
 * each member streams from the file through inflate to its own file, its
 * CRC-32 and size checked. Stored and deflated members, ZIP64 sizes and
 * offsets (archives past 4 GB). A member outside the target folder, an
 * unknown compression method, an encrypted member, a cut archive and a
 * corrupt member are each one sentence; so is a failed write (a full disk, a
 * permission), naming the file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { createHash } from 'node:crypto';
import { InputError } from '../errors/input-error.js';
import { writeError } from './write-error.js';
import { memberTarget, type ExtractOptions, type TarEntry } from './tar.js';

interface Member {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressed: number;
  size: number;
  localHeader: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

async function readAt(fh: FileHandle, at: number, n: number): Promise<Buffer> {
  const b = Buffer.alloc(n);
  const { bytesRead } = await fh.read(b, 0, n, at);
  return b.subarray(0, bytesRead);
}

/** The members the central directory lists, in its order. */
async function centralDirectory(fh: FileHandle, size: number, fail: (what: string) => never): Promise<Member[]> {
  // The end record is in the last 22 bytes plus a comment of at most 65535.
  const tailStart = Math.max(0, size - 22 - 65535);
  const tail = await readAt(fh, tailStart, size - tailStart);
  let e = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD) { e = i; break; }
  if (e < 0) fail('not a zip archive, or cut short (no end of central directory)');
  let count = tail.readUInt16LE(e + 10);
  let cdSize = tail.readUInt32LE(e + 12);
  let cdOffset = tail.readUInt32LE(e + 16);
  if (e >= 20 && tail.readUInt32LE(e - 20) === EOCD64_LOCATOR) {
    const rec = await readAt(fh, Number(tail.readBigUInt64LE(e - 20 + 8)), 56);
    count = Number(rec.readBigUInt64LE(32));
    cdSize = Number(rec.readBigUInt64LE(40));
    cdOffset = Number(rec.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > size) fail(`cut short (its central directory ends at byte ${cdOffset + cdSize} of ${size})`);
  const cd = await readAt(fh, cdOffset, cdSize);
  const members: Member[] = [];
  for (let at = 0, k = 0; k < count; k++) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== CENTRAL) fail(`its central directory is corrupt at entry ${k + 1}`);
    const nameLen = cd.readUInt16LE(at + 28);
    const extraLen = cd.readUInt16LE(at + 30);
    const commentLen = cd.readUInt16LE(at + 32);
    const m: Member = {
      flags: cd.readUInt16LE(at + 8),
      method: cd.readUInt16LE(at + 10),
      crc: cd.readUInt32LE(at + 16),
      compressed: cd.readUInt32LE(at + 20),
      size: cd.readUInt32LE(at + 24),
      localHeader: cd.readUInt32LE(at + 42),
      name: cd.toString('utf8', at + 46, at + 46 + nameLen),
    };
    // ZIP64: the fields set to all ones are in the 0x0001 extra, in this order.
    for (let x = at + 46 + nameLen; x + 4 <= at + 46 + nameLen + extraLen; ) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let p = x + 4;
        const next = () => {
          const v = Number(cd.readBigUInt64LE(p));
          p += 8;
          return v;
        };
        if (m.size === 0xffffffff) m.size = next();
        if (m.compressed === 0xffffffff) m.compressed = next();
        if (m.localHeader === 0xffffffff) m.localHeader = next();
      }
      x += 4 + len;
    }
    members.push(m);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}

/** Extracts `archive` into `dest`; returns what it wrote. */
export async function extractZip(archive: string, dest: string, o: ExtractOptions = {}): Promise<TarEntry[]> {
  const fail = (what: string): never => {
    throw new InputError(`${archive}: ${what}.`);
  };
  const root = path.resolve(dest);
  const fh = await open(archive, 'r').catch((err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? 'no such file' : `cannot be read (${err.message})`));
  const written: TarEntry[] = [];
  try {
    const { size } = await fh.stat();
    for (const m of await centralDirectory(fh, size, fail)) {
      o.onRead?.(m.localHeader);
      const dir = m.name.endsWith('/');
      const name = m.name.replace(/\/$/, '');
      const target = memberTarget(root, name) ?? fail(`member ${m.name} would be written outside ${dest}; seg does not extract it`);
      if (o.filter && !o.filter(name)) continue;
      const hash = o.hash && !dir ? createHash('sha256') : undefined;
      if (dir) {
        await mkdir(target, { recursive: true }).catch((err: unknown) => {
          throw writeError(err, target, 'point SEG_DATA_DIR at another disk');
        });
      } else {
        if (m.flags & 0x1) fail(`member ${m.name} is encrypted`);
        if (m.method !== 0 && m.method !== 8) fail(`member ${m.name} uses compression method ${m.method}; seg reads stored (0) and deflated (8) members`);
        const local = await readAt(fh, m.localHeader, 30);
        if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) fail(`member ${m.name}'s local header is missing at byte ${m.localHeader}`);
        const start = m.localHeader + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
        if (start + m.compressed > size) fail(`cut short inside ${m.name}`);
        await mkdir(path.dirname(target), { recursive: true }).catch((err: unknown) => {
          throw writeError(err, target, 'point SEG_DATA_DIR at another disk');
        });
        let crc = 0;
        let bytes = 0;
        const check = new Transform({
          transform(chunk: Buffer, _enc, done) {
            crc = crc32(chunk, crc);
            hash?.update(chunk);
            bytes += chunk.length;
            done(null, chunk);
          },
        });
        const out = createWriteStream(target);
        // the file's own failure (a full disk), told apart from the member's (it does not inflate)
        let failed: unknown;
        out.on('error', (err) => (failed ??= err));
        try {
          if (m.compressed === 0) {
            out.end();
            await once(out, 'close');
          } else {
            const source = createReadStream(archive, { start, end: start + m.compressed - 1 });
            await (m.method === 8 ? pipeline(source, createInflateRaw(), check, out) : pipeline(source, check, out));
          }
        } catch (err) {
          if (failed) throw writeError(failed, target, 'point SEG_DATA_DIR at another disk');
          fail(`member ${m.name} does not decompress (${(err as Error).message})`);
        }
        if (bytes !== m.size || crc >>> 0 !== m.crc) fail(`member ${m.name} is corrupt (${bytes !== m.size ? `${bytes} bytes, not ${m.size}` : 'its CRC-32 does not match'})`);
      }
      const e: TarEntry = { name, type: dir ? 'directory' : 'file', size: dir ? 0 : m.size };
      if (hash) e.sha256 = hash.digest('hex');
      written.push(e);
      o.onEntry?.(e);
    }
    o.onRead?.(size);
  } finally {
    await fh.close();
  }
  return written;
}
