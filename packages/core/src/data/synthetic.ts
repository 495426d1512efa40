/**
 * A seeded synthetic segmentation set for tests: textured background (class
 * 0) with circles, rectangles and triangles of classes 1..C-1, each class
 * with its own colour and stripe texture, plus Gaussian noise. Learnable in
 * a few hundred iterations, so an end-to-end test can demand a high mIoU.
 */
import type { Dataset, Sample } from './types.js';
import { Random } from './random.js';

export interface SyntheticOptions {
  count: number;
  height?: number;
  width?: number;
  classes?: number;
  channels?: 1 | 3;
  seed?: number;
  /** Standard deviation of the pixel noise. */
  noise?: number;
  shapesPerImage?: number;
}

/** A fixed per-class appearance: mean colour and stripe orientation/frequency. */
function classLook(c: number, channels: number) {
  const r = new Random(1000 + c);
  return {
    colour: Array.from({ length: channels }, () => r.uniform(0.1, 0.9)),
    angle: r.uniform(0, Math.PI),
    freq: r.uniform(0.3, 1.2),
    amp: 0.08,
  };
}

export function syntheticSample(index: number, o: SyntheticOptions): Sample {
  const h = o.height ?? 64;
  const w = o.width ?? 64;
  const classes = o.classes ?? 3;
  const channels = o.channels ?? 3;
  const rnd = new Random((o.seed ?? 0) * 100003 + index + 1);
  const mask = new Uint8Array(h * w);
  const shapes = o.shapesPerImage ?? 3;
  for (let s = 0; s < shapes; s++) {
    const cls = 1 + rnd.int(0, classes - 1);
    const kind = rnd.int(0, 3);
    const cy = rnd.uniform(0.15, 0.85) * h;
    const cx = rnd.uniform(0.15, 0.85) * w;
    const size = rnd.uniform(0.12, 0.3) * Math.min(h, w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dy = y + 0.5 - cy;
        const dx = x + 0.5 - cx;
        let inside: boolean;
        if (kind === 0) inside = dx * dx + dy * dy <= size * size;
        else if (kind === 1) inside = Math.abs(dx) <= size && Math.abs(dy) <= size * 0.7;
        else inside = dy <= size * 0.8 && dy >= -size && Math.abs(dx) <= (dy + size) * 0.6;
        if (inside) mask[y * w + x] = cls;
      }
    }
  }
  const looks = Array.from({ length: classes }, (_, c) => classLook(c, channels));
  const image = new Float32Array(h * w * channels);
  const sigma = o.noise ?? 0.05;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const look = looks[mask[y * w + x]!]!;
      const stripe = look.amp * Math.sin(look.freq * (x * Math.cos(look.angle) + y * Math.sin(look.angle)));
      for (let ch = 0; ch < channels; ch++) {
        const v = look.colour[ch]! + stripe + sigma * rnd.normal();
        image[(y * w + x) * channels + ch] = Math.min(1, Math.max(0, v));
      }
    }
  }
  return { id: `synthetic-${o.seed ?? 0}-${index}`, width: w, height: h, channels, image, mask };
}

export function syntheticDataset(o: SyntheticOptions): Dataset {
  const classes = o.classes ?? 3;
  return {
    name: 'synthetic',
    numClasses: classes,
    ignoreIndex: 255,
    classNames: ['background', ...Array.from({ length: classes - 1 }, (_, i) => `shape${i + 1}`)],
    length: o.count,
    get: async (i) => {
      if (i < 0 || i >= o.count) throw new RangeError(`synthetic dataset has ${o.count} samples; index ${i} is out of range.`);
      return syntheticSample(i, o);
    },
  };
}
