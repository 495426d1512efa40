/**
 * A reader of safetensors files (Hugging Face's format, as timm publishes
 * torchvision's ImageNet weights): an 8-byte little-endian header length, a
 * JSON header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data. The header is read alone and each tensor with one
 * positional read, so a 528 MB VGG16 is never held whole beside its
 * tensors. Values come back as float32 (F16 and BF16 widened; integer
 * tensors, e.g. batch norm's num_batches_tracked, converted).
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError } from '../errors/input-error.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const WIDTH: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range in the data section, [begin, end). */
  offsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

/** The spec's limit on the header (100 MB): a larger length means the file is not safetensors. */
const MAX_HEADER = 100_000_000;

/** The header of a safetensors file, checked: every tensor's byte range fits its dtype and shape, and the ranges tile the data section. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => failOpen(file, err));
  try {
    const { size } = await fh.stat();
    return await parseHeader(file, size, async (buf, at) => (await fh.read(buf, 0, buf.length, at)).bytesRead);
  } finally {
    await fh.close();
  }
}

/** readSafetensorsHeader, synchronously (a model's build reads its start while the layers are made). */
export function readSafetensorsHeaderSync(file: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    return failOpen(file, err as NodeJS.ErrnoException);
  }
  try {
    return parseHeaderSync(file, fstatSync(fd).size, (buf, at) => readSync(fd, buf, 0, buf.length, at));
  } finally {
    closeSync(fd);
  }
}

function failOpen(file: string, err: NodeJS.ErrnoException): never {
  throw new InputError(`${file}: ${err.code === 'ENOENT' ? 'no such file' : `cannot be read (${err.message})`}.`);
}

type ReadAt<R> = (buf: Buffer, at: number) => R;

async function parseHeader(file: string, size: number, read: ReadAt<Promise<number>>): Promise<SafetensorsHeader> {
  const head = Buffer.alloc(8);
  const got = size < 8 ? 0 : await read(head, 0);
  const length = checkLength(file, size, head, got);
  const text = Buffer.alloc(length);
  await read(text, 8);
  return parseJson(file, size, length, text);
}

function parseHeaderSync(file: string, size: number, read: ReadAt<number>): SafetensorsHeader {
  const head = Buffer.alloc(8);
  const got = size < 8 ? 0 : read(head, 0);
  const length = checkLength(file, size, head, got);
  const text = Buffer.alloc(length);
  read(text, 8);
  return parseJson(file, size, length, text);
}

const fail = (file: string, what: string): never => {
  throw new InputError(`${file}: ${what}.`);
};

function checkLength(file: string, size: number, head: Buffer, got: number): number {
  if (got < 8) fail(file, `not a safetensors file (${size} bytes, shorter than its 8-byte header length)`);
  const length = Number(head.readBigUInt64LE(0));
  if (length > MAX_HEADER || 8 + length > size) fail(file, `not a safetensors file, or cut short (its header claims ${length} bytes; the file has ${size})`);
  return length;
}

function parseJson(file: string, size: number, length: number, text: Buffer): SafetensorsHeader {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    return fail(file, `its header is not JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(file, 'its header is not a JSON object of tensors');
  const dataStart = 8 + length;
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') continue;
    const e = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (!e || !(e.dtype! in WIDTH)) fail(file, `tensor ${name} has dtype ${e?.dtype}, which seg does not read (${Object.keys(WIDTH).join(', ')})`);
    const dtype = e.dtype as SafetensorsDtype;
    const [begin, end] = Array.isArray(e.data_offsets) && e.data_offsets.length === 2 ? e.data_offsets : [NaN, NaN];
    const count = (e.shape ?? []).reduce((a, b) => a * b, 1);
    if (!Array.isArray(e.shape) || !(end - begin === count * WIDTH[dtype])) fail(file, `tensor ${name} (${dtype}, shape ${JSON.stringify(e.shape)}) has ${end - begin} bytes, not ${count * WIDTH[dtype]}`);
    if (begin < 0 || dataStart + end > size) fail(file, `tensor ${name}'s bytes ${begin}-${end} run past the end of the file (cut short?)`);
    tensors.set(name, { dtype, shape: e.shape!, offsets: [begin, end] });
  }
  // The ranges must tile the data section: no gap, no overlap (the format's own rule).
  let at = 0;
  for (const [name, t] of [...tensors].sort((a, b) => a[1].offsets[0] - b[1].offsets[0])) {
    if (t.offsets[0] !== at) fail(file, `tensor ${name} starts at byte ${t.offsets[0]} of the data, not ${at} (overlapping or with a gap)`);
    at = t.offsets[1];
  }
  return { tensors, metadata: (json.__metadata__ as Record<string, string>) ?? {}, dataStart };
}

/** An IEEE half (F16) or bfloat16 as a number. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function toFloat32(dtype: SafetensorsDtype, bytes: Buffer, count: number): Float32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F64': out[i] = v.getFloat64(i * 8, true); break;
      case 'F16': out[i] = half(v.getUint16(i * 2, true)); break;
      case 'BF16': out[i] = new Float32Array(new Uint32Array([v.getUint16(i * 2, true) << 16]).buffer)[0]!; break;
      case 'I64': out[i] = Number(v.getBigInt64(i * 8, true)); break;
      case 'I32': out[i] = v.getInt32(i * 4, true); break;
      case 'I16': out[i] = v.getInt16(i * 2, true); break;
      case 'I8': out[i] = v.getInt8(i); break;
      default: out[i] = v.getUint8(i);
    }
  }
  return out;
}

/** Which of `names` the file lacks, as one sentence. */
function assertHas(file: string, header: SafetensorsHeader, wanted: string[]): void {
  const missing = wanted.filter((n) => !header.tensors.has(n));
  if (missing.length) throw new InputError(`${file}: no tensor ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (and ${missing.length - 3} more)` : ''}; it has ${header.tensors.size} tensors, e.g. ${[...header.tensors.keys()].slice(0, 3).join(', ')}.`);
}

const countOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The tensors of a safetensors file (those `names` lists, else all) as
 * float32 with their shapes, each read on its own from the file.
 */
export async function readSafetensors(file: string, names?: string[]): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const header = await readSafetensorsHeader(file);
  const wanted = names ?? [...header.tensors.keys()];
  assertHas(file, header, wanted);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const fh = await open(file, 'r');
  try {
    for (const name of wanted) {
      const t = header.tensors.get(name)!;
      const bytes = Buffer.alloc(t.offsets[1] - t.offsets[0]);
      const { bytesRead } = await fh.read(bytes, 0, bytes.length, header.dataStart + t.offsets[0]);
      if (bytesRead !== bytes.length) throw new InputError(`${file}: tensor ${name} could not be read whole (the file changed while it was read?).`);
      out.set(name, { shape: t.shape, data: toFloat32(t.dtype, bytes, countOf(t.shape)) });
    }
  } finally {
    await fh.close();
  }
  return out;
}

/**
 * A synchronous reader that hands out one tensor at a time (as float32), so
 * a caller that copies each into a layer holds one tensor beside the model,
 * never the whole file.
 */
export interface SafetensorsFile {
  file: string;
  header: SafetensorsHeader;
  has(name: string): boolean;
  shape(name: string): number[];
  /** The tensor's values, or `count` of them from element `from` on (row-major). */
  read(name: string, from?: number, count?: number): Float32Array;
  close(): void;
}

export function openSafetensorsSync(file: string): SafetensorsFile {
  const header = readSafetensorsHeaderSync(file);
  const fd = openSync(file, 'r');
  return {
    file,
    header,
    has: (name) => header.tensors.has(name),
    shape: (name) => {
      assertHas(file, header, [name]);
      return header.tensors.get(name)!.shape;
    },
    read(name, from = 0, count?: number) {
      assertHas(file, header, [name]);
      const t = header.tensors.get(name)!;
      const n = count ?? countOf(t.shape) - from;
      if (from < 0 || n < 0 || from + n > countOf(t.shape)) throw new RangeError(`${name} has ${countOf(t.shape)} values; ${from}..${from + n} is out of range.`);
      const at = header.dataStart + t.offsets[0] + from * WIDTH[t.dtype];
      const cut = (): never => {
        throw new InputError(`${file}: tensor ${name} could not be read whole (the file changed while it was read?).`);
      };
      if (t.dtype === 'F32') {
        // Straight into the float32 array: no second copy of a 400 MB tensor.
        const out = new Float32Array(n);
        const bytes = new Uint8Array(out.buffer);
        if (readSync(fd, bytes, 0, bytes.length, at) !== bytes.length) cut();
        return out;
      }
      const bytes = Buffer.alloc(n * WIDTH[t.dtype]);
      if (readSync(fd, bytes, 0, bytes.length, at) !== bytes.length) cut();
      return toFloat32(t.dtype, bytes, n);
    },
    close: () => closeSync(fd),
  };
}

/**
 * Writes float32 tensors as a safetensors file, one at a time (each made by
 * `fill` as it is written); `size` pads the header with spaces, as the
 * format allows, to give the file that many bytes.
 */
export function writeSafetensorsSync(file: string, specs: [name: string, shape: number[]][], fill: (name: string, shape: number[]) => Float32Array, o: { size?: number } = {}): void {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const [name, shape] of specs) {
    const bytes = 4 * countOf(shape);
    header[name] = { dtype: 'F32', shape, data_offsets: [at, at + bytes] };
    at += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const pad = o.size !== undefined ? o.size - 8 - at - json.length : (8 - (json.length % 8)) % 8;
  if (pad < 0) throw new Error(`${file}: ${o.size} bytes cannot hold these tensors (${8 + json.length + at} bytes at least).`);
  const head = Buffer.concat([json, Buffer.alloc(pad, ' ')]);
  // Written beside its name and renamed when whole: a failed fill leaves no half file under it.
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(head.length));
    writeSync(fd, len);
    writeSync(fd, head);
    for (const [name, shape] of specs) {
      const data = fill(name, shape);
      if (data.length !== countOf(shape)) throw new Error(`${name}: ${data.length} values for shape [${shape.join(', ')}].`);
      writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}
