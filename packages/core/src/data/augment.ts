/**
 * Joint, seeded augmentation of an image and its label map. One inverse
 * mapping per output pixel (scale, rotation, flip, crop, then an elastic
 * displacement) samples the image bilinearly and the mask by nearest
 * neighbour, so labels stay valid classes and stay aligned with the pixels.
 * Pixels mapped from outside the source get 0 in the image and the ignore
 * label in the mask (crop with ignore padding). Per-pixel loss weights, when
 * the sample has them (U-Net's weight maps, computed once per image as the
 * paper does), follow the mask: nearest neighbour, 0 outside.
 */
import type { Sample } from './types.js';
import { Random } from './random.js';

export interface AugmentOptions {
  /** Random scale factor range, e.g. [0.5, 2] (DeepLab, PSPNet). */
  scale?: [number, number];
  /** Output [height, width]; random position; padded with ignore when larger than the image. */
  crop?: [number, number];
  /** Horizontal flip with probability 0.5. */
  flip?: boolean;
  /** Random rotation in [-degrees, degrees]. */
  rotate?: number;
  /** Colour jitter strengths (0 = off): brightness shift, contrast and saturation factors 1 +- value. */
  jitter?: { brightness?: number; contrast?: number; saturation?: number };
  /**
   * U-Net's elastic deformation (Ronneberger et al. 2015, Sec. 3.1): random
   * displacements on a coarse grid (3x3), Gaussian with `std` pixels (10),
   * interpolated bicubically to every pixel.
   */
  elastic?: { grid?: number; std?: number };
  ignoreIndex?: number;
}

/** Catmull-Rom cubic weights for fractional offset t. */
function cubic(p0: number, p1: number, p2: number, p3: number, t: number): number {
  return p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)));
}

/**
 * A dense displacement field from a coarse grid of Gaussian displacements,
 * bicubic: along x in the four grid rows around a pixel, then along y. The
 * x pass depends only on the grid row, so it is computed once per row band
 * (a 428x428 field took 75 ms when every pixel redid it).
 */
export function elasticField(h: number, w: number, grid: number, std: number, rnd: Random): { dx: Float32Array; dy: Float32Array } {
  const gx = Array.from({ length: grid * grid }, () => rnd.normal() * std);
  const gy = Array.from({ length: grid * grid }, () => rnd.normal() * std);
  const clamp = (i: number) => Math.min(grid - 1, Math.max(0, i));
  // Per x: the grid column (clamped, for the 4 taps) and the fraction.
  const cols = new Int32Array(w * 4);
  const tx = new Float64Array(w);
  for (let x = 0; x < w; x++) {
    const fx = w > 1 ? (x / (w - 1)) * (grid - 1) : 0;
    const j = Math.floor(fx);
    tx[x] = fx - j;
    for (let d = 0; d < 4; d++) cols[x * 4 + d] = clamp(j + d - 1);
  }
  const dx = new Float32Array(h * w);
  const dy = new Float32Array(h * w);
  for (const [g, out] of [
    [gx, dx],
    [gy, dy],
  ] as const) {
    // The x-interpolated values of the four grid rows around row i, per x: the same for every y with that i.
    const across = new Map<number, Float64Array>();
    const rowsAround = (i: number) => {
      let a = across.get(i);
      if (a) return a;
      a = new Float64Array(4 * w);
      for (let d = 0; d < 4; d++) {
        const r = clamp(i + d - 1) * grid;
        for (let x = 0; x < w; x++) {
          const c = x * 4;
          a[d * w + x] = cubic(g[r + cols[c]!]!, g[r + cols[c + 1]!]!, g[r + cols[c + 2]!]!, g[r + cols[c + 3]!]!, tx[x]!);
        }
      }
      across.set(i, a);
      return a;
    };
    for (let y = 0; y < h; y++) {
      const fy = h > 1 ? (y / (h - 1)) * (grid - 1) : 0;
      const i = Math.floor(fy);
      const ty = fy - i;
      const a = rowsAround(i);
      for (let x = 0; x < w; x++) out[y * w + x] = cubic(a[x]!, a[w + x]!, a[2 * w + x]!, a[3 * w + x]!, ty);
    }
  }
  return { dx, dy };
}

export function augment(s: Sample, o: AugmentOptions, rnd: Random): Sample {
  const ignore = o.ignoreIndex ?? 255;
  const scale = o.scale ? rnd.uniform(o.scale[0], o.scale[1]) : 1;
  const angle = o.rotate ? (rnd.uniform(-o.rotate, o.rotate) * Math.PI) / 180 : 0;
  const flip = o.flip ? rnd.next() < 0.5 : false;
  // Size of the transformed (scaled) image, and the crop window inside it.
  const th = Math.round(s.height * scale);
  const tw = Math.round(s.width * scale);
  const [oh, ow] = o.crop ?? [th, tw];
  const offY = th > oh ? rnd.int(0, th - oh + 1) : -Math.floor((oh - th) / 2);
  const offX = tw > ow ? rnd.int(0, tw - ow + 1) : -Math.floor((ow - tw) / 2);
  const field = o.elastic ? elasticField(oh, ow, o.elastic.grid ?? 3, o.elastic.std ?? 10, rnd) : undefined;

  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const c = s.channels;
  const image = new Float32Array(oh * ow * c);
  const mask = new Uint8Array(oh * ow).fill(ignore);
  const weights = s.weights ? new Float32Array(oh * ow) : undefined;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const k = y * ow + x;
      // pixel centre in transformed-image coordinates, centred
      let px = x + offX + 0.5 + (field ? field.dx[k]! : 0) - tw / 2;
      const py = y + offY + 0.5 + (field ? field.dy[k]! : 0) - th / 2;
      if (flip) px = -px;
      // undo rotation, then scale: source coordinates (pixel-centre convention)
      const sx = (cos * px + sin * py) / scale + s.width / 2 - 0.5;
      const sy = (-sin * px + cos * py) / scale + s.height / 2 - 0.5;
      if (sx < -0.5 || sy < -0.5 || sx > s.width - 0.5 || sy > s.height - 0.5) continue;
      const nx = Math.min(s.width - 1, Math.max(0, Math.round(sx)));
      const ny = Math.min(s.height - 1, Math.max(0, Math.round(sy)));
      mask[k] = s.mask[ny * s.width + nx]!;
      if (weights) weights[k] = s.weights![ny * s.width + nx]!;
      const x0 = Math.max(0, Math.min(s.width - 1, Math.floor(sx)));
      const y0 = Math.max(0, Math.min(s.height - 1, Math.floor(sy)));
      const x1 = Math.min(s.width - 1, x0 + 1);
      const y1 = Math.min(s.height - 1, y0 + 1);
      const fx = Math.min(1, Math.max(0, sx - x0));
      const fy = Math.min(1, Math.max(0, sy - y0));
      for (let ch = 0; ch < c; ch++) {
        const v00 = s.image[(y0 * s.width + x0) * c + ch]!;
        const v01 = s.image[(y0 * s.width + x1) * c + ch]!;
        const v10 = s.image[(y1 * s.width + x0) * c + ch]!;
        const v11 = s.image[(y1 * s.width + x1) * c + ch]!;
        image[k * c + ch] = (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
      }
    }
  }
  if (o.jitter) colourJitter(image, mask, c, o.jitter, ignore, rnd);
  return { id: s.id, width: ow, height: oh, channels: c, image, mask, ...(weights ? { weights } : {}) };
}

/** Brightness shift, contrast and saturation factors, applied to valid pixels, clipped to [0, 1]. */
function colourJitter(image: Float32Array, mask: Uint8Array, c: number, j: NonNullable<AugmentOptions['jitter']>, ignore: number, rnd: Random) {
  const b = j.brightness ? rnd.uniform(-j.brightness, j.brightness) : 0;
  const k = j.contrast ? rnd.uniform(1 - j.contrast, 1 + j.contrast) : 1;
  const sat = j.saturation && c === 3 ? rnd.uniform(1 - j.saturation, 1 + j.saturation) : 1;
  let mean = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === ignore) continue;
    for (let ch = 0; ch < c; ch++) mean += image[i * c + ch]!;
    n += c;
  }
  mean = n ? mean / n : 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === ignore) continue;
    const grey = c === 3 ? 0.299 * image[i * 3]! + 0.587 * image[i * 3 + 1]! + 0.114 * image[i * 3 + 2]! : 0;
    for (let ch = 0; ch < c; ch++) {
      let v = image[i * c + ch]!;
      if (c === 3) v = grey + (v - grey) * sat;
      v = (v - mean) * k + mean + b;
      image[i * c + ch] = Math.min(1, Math.max(0, v));
    }
  }
}
