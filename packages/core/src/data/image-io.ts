/**
 * Image decoding and encoding. sharp (libvips) decodes JPEG/PNG/TIFF; label
 * PNGs are read with fast-png, which returns palette indices as they are
 * stored (VOC's masks are palette PNGs: their colours are not the labels).
 */
import { readFile, rename, rm } from 'node:fs/promises';
import sharp from 'sharp';
import { decode } from 'fast-png';
import { InputError } from '../errors/input-error.js';
import { writeError } from '../io/write-error.js';

export interface RawImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'the file does not exist';
  if (e.code === 'EISDIR') return 'it is a folder';
  return (e.message ?? String(err)).replace(/\.$/, '');
}

/** Decodes an image to 8-bit pixels with 1 (grey) or 3 (RGB) channels, alpha dropped. */
export async function readImage(file: string, channels: 1 | 3 = 3): Promise<RawImage> {
  try {
    let pipeline = sharp(file).removeAlpha();
    pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new InputError(`Cannot read image ${file}: ${why(err)}.`);
  }
}

/** An image's size from its header (no decode), or one sentence naming the file. */
export async function readImageSize(file: string): Promise<{ width: number; height: number }> {
  try {
    const m = await sharp(file).metadata();
    if (!m.width || !m.height) throw new Error('its header holds no size');
    return { width: m.width, height: m.height };
  } catch (err) {
    throw new InputError(`Cannot read image ${file}: ${why(err)}.`);
  }
}

/** Reads a single-channel label PNG: palette indices or 8-bit grey values. */
export async function readLabelPng(file: string): Promise<RawImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new InputError(`Cannot read label map ${file}: ${why(err)}.`);
  }
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new InputError(`Cannot read label map ${file}: ${bytes.length === 0 ? 'the file is empty' : `not a valid PNG (${why(err)})`}.`);
  }
  if (png.depth !== 8 || (png.channels !== 1 && !png.palette)) {
    throw new InputError(`Label map ${file} must be an 8-bit grey or palette PNG (it has ${png.channels} channels at ${png.depth} bits).`);
  }
  return { width: png.width, height: png.height, channels: 1, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
}

/** Writes 8-bit pixels (1, 3 or 4 channels) as PNG, atomically. */
export async function writePng(file: string, img: RawImage): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}.png`;
  try {
    let pipeline = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
      raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4 },
    });
    // Keep one channel as grey: label maps must stay single-channel.
    if (img.channels === 1) pipeline = pipeline.toColourspace('b-w');
    await pipeline.png().toFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw writeError(err, file);
  }
}

/** Floats in [0, 1] -> the same on the 0..255 scale (not rounded), e.g. for the CRF's colour kernel. */
export function toByteRange(data: Float32Array): Float32Array {
  return data.map((x) => x * 255);
}

/** 8-bit pixels -> floats in [0, 1]. */
export function toUnitFloat(data: Uint8Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! / 255;
  return out;
}
