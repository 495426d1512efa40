/**
 * Seeded stand-ins for the ImageNet weights files, in their names and
 * shapes, made as scripts/imagenet-fixtures.py makes them for PyTorch (a
 * counter-based generator both implement): what the tests compare our
 * backbones with torchvision on, since the Hub's files cannot be fetched
 * there. Written to a safetensors file one tensor at a time.
 */
import { writeSafetensorsSync } from '../io/safetensors.js';
import type { ImageNetArch } from './catalog.js';
import { torchvisionTensors } from './torchvision-tensors.js';

function fnv1a32(name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** count values in (lo, hi) for tensor NAME, from u in (0, 1): murmur3's fmix32 of (fnv1a32(NAME) + i * 0x9E3779B9). */
export function seededRange(name: string, count: number, lo: number, hi: number): Float32Array {
  const seed = fnv1a32(name);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let h = (seed + Math.imul(i, 0x9e3779b9)) >>> 0;
    // (each xor back to unsigned: JavaScript's ^ gives a signed 32-bit result)
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    out[i] = lo + (hi - lo) * ((h + 0.5) / 2 ** 32);
  }
  return out;
}

/** The seeded tensor NAME, as the generator's value(). */
export function seededValue(name: string, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith('running_var')) return seededRange(name, n, 0.5, 1.5);
  if (name.endsWith('running_mean') || name.endsWith('.bias')) return seededRange(name, n, -0.1, 0.1);
  if (shape.length === 1) return seededRange(name, n, 0.5, 1.0);
  const bound = Math.sqrt(6 / shape.slice(1).reduce((a, b) => a * b, 1));
  return seededRange(name, n, -bound, bound);
}

/** The seeded weights of `arch` in timm's names, written to `file` (padded to `size` bytes if given). */
export function writeSeededWeights(file: string, arch: ImageNetArch, size?: number): void {
  writeSafetensorsSync(file, torchvisionTensors(arch), seededValue, size !== undefined ? { size } : {});
}
