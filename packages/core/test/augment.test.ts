/**
 * Joint augmentation keeps image and mask aligned: the test image's class is
 * readable from its pixels (class k has grey value (k + 1) / 5), so after any
 * geometric transform the class decoded from the image must equal the mask
 * away from class borders.
 */
import { describe, expect, it } from 'vitest';
import { augment, elasticField, type AugmentOptions } from '../src/data/augment.js';
import { Random } from '../src/data/random.js';
import type { Sample } from '../src/data/types.js';

function blocks(h: number, w: number): Sample {
  const mask = new Uint8Array(h * w);
  const image = new Float32Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const k = (Math.floor(y / 16) * 3 + Math.floor(x / 16)) % 4;
      mask[y * w + x] = k;
      image[y * w + x] = (k + 1) / 5;
    }
  return { id: 't', width: w, height: h, channels: 1, image, mask };
}

/** Share of labelled pixels whose image-decoded class equals the mask, and share of ignored ones. */
function agreement(s: Sample) {
  let agree = 0;
  let labelled = 0;
  let ignored = 0;
  for (let i = 0; i < s.mask.length; i++) {
    if (s.mask[i] === 255) {
      ignored++;
      continue;
    }
    labelled++;
    if (Math.round(s.image[i]! * 5) - 1 === s.mask[i]) agree++;
  }
  return { agree: agree / labelled, ignored: ignored / s.mask.length };
}

describe('joint augmentation', () => {
  it('carries per-pixel loss weights with the mask (0 where padded)', () => {
    const s = blocks(64, 64);
    const weighted = { ...s, weights: Float32Array.from(s.mask, (m) => m + 1) };
    const out = augment(weighted, { scale: [0.7, 1.4], rotate: 20, flip: true, crop: [80, 80], elastic: { grid: 3, std: 10 } }, new Random(3));
    expect(out.weights).toHaveLength(80 * 80);
    let padded = 0;
    for (let i = 0; i < out.mask.length; i++) {
      if (out.mask[i] === 255) {
        padded++;
        expect(out.weights![i]).toBe(0);
      } else expect(out.weights![i]).toBe(out.mask[i]! + 1);
    }
    expect(padded).toBeGreaterThan(0);
    expect(augment(s, { flip: true }, new Random(3)).weights).toBeUndefined();
  });

  const src = blocks(96, 80);
  const cases: [string, AugmentOptions][] = [
    ['flip', { flip: true }],
    ['scale + crop', { scale: [0.6, 1.6], crop: [64, 64] }],
    ['rotation', { rotate: 30 }],
    ['elastic (U-Net: 3x3 grid, 10 px)', { elastic: { grid: 3, std: 10 } }],
    ['everything', { scale: [0.7, 1.4], crop: [72, 72], flip: true, rotate: 20, elastic: { grid: 3, std: 6 } }],
  ];
  for (const [name, o] of cases) {
    it(`${name}: mask and image stay aligned, labels stay valid`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const out = augment(src, o, new Random(seed));
        if (o.crop) expect([out.height, out.width]).toEqual(o.crop);
        for (const v of new Set(out.mask)) expect([0, 1, 2, 3, 255]).toContain(v);
        // bilinear blending only disagrees within about one pixel of a border
        expect(agreement(out).agree).toBeGreaterThan(0.93);
      }
    });
  }

  it('is reproducible for a seed and different across seeds', () => {
    const o: AugmentOptions = { scale: [0.5, 2], crop: [48, 48], flip: true, rotate: 15, elastic: {}, jitter: { brightness: 0.1, contrast: 0.2 } };
    const a = augment(src, o, new Random(9));
    const b = augment(src, o, new Random(9));
    const c = augment(src, o, new Random(10));
    expect(Array.from(a.image)).toEqual(Array.from(b.image));
    expect(Array.from(a.mask)).toEqual(Array.from(b.mask));
    expect(Array.from(a.mask)).not.toEqual(Array.from(c.mask));
  });

  it('pads with the ignore label where the crop is larger than the image', () => {
    const out = augment(src, { crop: [128, 128] }, new Random(1));
    const { ignored } = agreement(out);
    expect(ignored).toBeCloseTo(1 - (96 * 80) / (128 * 128), 2);
    expect(out.mask[0]).toBe(255);
  });

  it('a flip mirrors exactly; colour jitter changes pixels but not labels', () => {
    const kinds = [1, 2, 3, 4, 5, 6].map((seed) => {
      const out = augment(src, { flip: true }, new Random(seed));
      const flipped = Array.from(out.mask).every((v, i) => v === src.mask[Math.floor(i / 80) * 80 + (79 - (i % 80))]);
      const same = Array.from(out.mask).every((v, i) => v === src.mask[i]);
      return flipped ? 'flipped' : same ? 'same' : 'other';
    });
    expect(kinds).not.toContain('other');
    expect(kinds).toContain('flipped');
    expect(kinds).toContain('same');
    const j = augment(src, { jitter: { brightness: 0.2, contrast: 0.3 } }, new Random(3));
    expect(Array.from(j.mask)).toEqual(Array.from(src.mask));
    expect(Array.from(j.image)).not.toEqual(Array.from(src.image));
  });

  it('the elastic field has the requested spread and is smooth', () => {
    const r = new Random(5);
    let sum2 = 0;
    let n = 0;
    let maxStep = 0;
    for (let t = 0; t < 20; t++) {
      const { dx } = elasticField(64, 64, 3, 10, r);
      // grid nodes sit at the corners, centre and edge midpoints
      for (const [y, x] of [[0, 0], [0, 63], [63, 0], [63, 63], [0, 0]] as const) {
        sum2 += dx[y * 64 + x]! ** 2;
        n++;
      }
      for (let i = 1; i < 64; i++) maxStep = Math.max(maxStep, Math.abs(dx[32 * 64 + i]! - dx[32 * 64 + i - 1]!));
    }
    expect(Math.sqrt(sum2 / n)).toBeGreaterThan(6);
    expect(Math.sqrt(sum2 / n)).toBeLessThan(14);
    expect(maxStep).toBeLessThan(3);
  });

  it('elasticField equals the per-pixel bicubic of the grid (the x pass computed once per row band, bit for bit)', () => {
    const cubic = (p0: number, p1: number, p2: number, p3: number, t: number) => p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)));
    for (const [h, w, grid] of [[37, 23, 3], [8, 40, 4], [1, 6, 3], [6, 1, 2]] as const) {
      const r = new Random(h * 31 + w);
      const gx = Array.from({ length: grid * grid }, () => r.normal() * 10);
      const gy = Array.from({ length: grid * grid }, () => r.normal() * 10);
      const at = (g: number[], i: number, j: number) => g[Math.min(grid - 1, Math.max(0, i)) * grid + Math.min(grid - 1, Math.max(0, j))]!;
      const sample = (g: number[], fy: number, fx: number) => {
        const i = Math.floor(fy);
        const j = Math.floor(fx);
        const rows = [-1, 0, 1, 2].map((di) => cubic(at(g, i + di, j - 1), at(g, i + di, j), at(g, i + di, j + 1), at(g, i + di, j + 2), fx - j));
        return cubic(rows[0]!, rows[1]!, rows[2]!, rows[3]!, fy - i);
      };
      const want = { dx: new Float32Array(h * w), dy: new Float32Array(h * w) };
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const fy = h > 1 ? (y / (h - 1)) * (grid - 1) : 0;
          const fx = w > 1 ? (x / (w - 1)) * (grid - 1) : 0;
          want.dx[y * w + x] = sample(gx, fy, fx);
          want.dy[y * w + x] = sample(gy, fy, fx);
        }
      expect(elasticField(h, w, grid, 10, new Random(h * 31 + w))).toEqual(want);
    }
  });
});
