/** Runs `seg` in this process, capturing its output; the engine line is dropped from stderr unless asked for. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { syntheticSample, writePng } from '@seg/core';
import { main } from '../src/index.js';

export async function seg(...argv: string[]) {
  return segWithEngineLine(...argv).then((r) => ({ ...r, stderr: r.stderr.split('\n').filter((l) => !l.startsWith('seg: backend')).join('\n') }));
}

export async function segWithEngineLine(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** A folder-format split (DIR/split/images, DIR/split/masks) of seeded synthetic 3-class samples. */
export async function writeSplit(root: string, split: string, count: number, o: { size?: number; seed?: number; padNames?: boolean } = {}) {
  const size = o.size ?? 32;
  mkdirSync(path.join(root, split, 'images'), { recursive: true });
  mkdirSync(path.join(root, split, 'masks'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const s = syntheticSample(i, { count, height: size, width: size, classes: 3, seed: o.seed ?? 1, noise: 0.04 });
    const name = `img${o.padNames ? String(i).padStart(3, '0') : i}.png`;
    await writePng(path.join(root, split, 'images', name), { width: size, height: size, channels: 3, data: Uint8Array.from(s.image, (v) => Math.round(v * 255)) });
    await writePng(path.join(root, split, 'masks', name), { width: size, height: size, channels: 1, data: s.mask });
  }
}
