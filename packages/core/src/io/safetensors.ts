/**
 * A reader of safetensors files (Hugging Face's format, as timm publishes
 * torchvision's ImageNet weights): an 8-byte little-endian header length, a
 * JSON header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data. The header is read alone and each tensor with one
 * positional read, so a 528 MB VGG16 is never held whole beside its
 * tensors. Values come back as float32 (F16 and BF16 widened; integer
 * tensors, e.g. batch norm's num_batches_tracked, converted).
 */
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
  const fail = (what: string): never => {
    throw new InputError(`${file}: ${what}.`);
  };
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? 'no such file' : `cannot be read (${err.message})`));
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(8);
    if (size < 8 || (await fh.read(head, 0, 8, 0)).bytesRead < 8) fail(`not a safetensors file (${size} bytes, shorter than its 8-byte header length)`);
    const length = Number(head.readBigUInt64LE(0));
    if (length > MAX_HEADER || 8 + length > size) fail(`not a safetensors file, or cut short (its header claims ${length} bytes; the file has ${size})`);
    const text = Buffer.alloc(length);
    await fh.read(text, 0, length, 8);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      return fail(`its header is not JSON (${(err as Error).message})`);
    }
    const dataStart = 8 + length;
    const tensors = new Map<string, SafetensorsEntry>();
    for (const [name, raw] of Object.entries(json)) {
      if (name === '__metadata__') continue;
      const e = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
      if (!e || !(e.dtype! in WIDTH)) fail(`tensor ${name} has dtype ${e?.dtype}, which seg does not read (${Object.keys(WIDTH).join(', ')})`);
      const dtype = e.dtype as SafetensorsDtype;
      const [begin, end] = e.data_offsets ?? [NaN, NaN];
      const count = (e.shape ?? []).reduce((a, b) => a * b, 1);
      if (!Array.isArray(e.shape) || !(end - begin === count * WIDTH[dtype])) fail(`tensor ${name} (${dtype}, shape ${JSON.stringify(e.shape)}) has ${end - begin} bytes, not ${count * WIDTH[dtype]}`);
      if (begin < 0 || dataStart + end > size) fail(`tensor ${name}'s bytes ${begin}-${end} run past the end of the file (cut short?)`);
      tensors.set(name, { dtype, shape: e.shape!, offsets: [begin, end] });
    }
    // The ranges must tile the data section: no gap, no overlap (the format's own rule).
    let at = 0;
    for (const [name, t] of [...tensors].sort((a, b) => a[1].offsets[0] - b[1].offsets[0])) {
      if (t.offsets[0] !== at) fail(`tensor ${name} starts at byte ${t.offsets[0]} of the data, not ${at} (overlapping or with a gap)`);
      at = t.offsets[1];
    }
    return { tensors, metadata: (json.__metadata__ as Record<string, string>) ?? {}, dataStart };
  } finally {
    await fh.close();
  }
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

/**
 * The tensors of a safetensors file (those `names` lists, else all) as
 * float32 with their shapes, each read on its own from the file.
 */
export async function readSafetensors(file: string, names?: string[]): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const header = await readSafetensorsHeader(file);
  const wanted = names ?? [...header.tensors.keys()];
  const missing = wanted.filter((n) => !header.tensors.has(n));
  if (missing.length) throw new InputError(`${file}: no tensor ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (and ${missing.length - 3} more)` : ''}; it has ${header.tensors.size} tensors, e.g. ${[...header.tensors.keys()].slice(0, 3).join(', ')}.`);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const fh = await open(file, 'r');
  try {
    for (const name of wanted) {
      const t = header.tensors.get(name)!;
      const bytes = Buffer.alloc(t.offsets[1] - t.offsets[0]);
      const { bytesRead } = await fh.read(bytes, 0, bytes.length, header.dataStart + t.offsets[0]);
      if (bytesRead !== bytes.length) throw new InputError(`${file}: tensor ${name} could not be read whole (the file changed while it was read?).`);
      out.set(name, { shape: t.shape, data: toFloat32(t.dtype, bytes, t.shape.reduce((a, b) => a * b, 1)) });
    }
  } finally {
    await fh.close();
  }
  return out;
}
