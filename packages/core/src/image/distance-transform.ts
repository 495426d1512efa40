/** Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012): two 1-D passes, linear in pixels. */
import { checkSize } from './size.js';

/**
 * Squared distance transform of a sampled 1-D function (lower envelope of
 * parabolas). Infinite samples are left out of the envelope, so a line with
 * no finite sample stays Infinity instead of producing NaN.
 * Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", ToC 2012.
 */
function dt1d(f: Float64Array, n: number, out: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let s: number;
    for (;;) {
      const r = v[k];
      s = (fq + q * q - (f[r] + r * r)) / (2 * (q - r));
      if (s > z[k]) break;
      k--; // z[0] = -Infinity, so k never drops below 0 here
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const d = q - v[k];
    out[q] = d * d + f[v[k]];
  }
}

/** Exact squared Euclidean distance to the nearest mask=1 pixel: columns, then rows. */
export function squaredDistanceTransform(mask: Uint8Array, width: number, height: number): Float64Array {
  const d2 = new Float64Array(width * height);
  const len = Math.max(width, height);
  const f = new Float64Array(len);
  const out = new Float64Array(len);
  const v = new Int32Array(len);
  const z = new Float64Array(len + 1);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = mask[y * width + x] ? 0 : Infinity;
    dt1d(f, height, out, v, z);
    for (let y = 0; y < height; y++) d2[y * width + x] = out[y];
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = d2[row + x];
    dt1d(f, width, out, v, z);
    for (let x = 0; x < width; x++) d2[row + x] = out[x];
  }
  return d2;
}

/** Euclidean distance from each pixel to the nearest pixel with mask=1 (Infinity if none); O(width*height). */
export function distanceTransform(mask: Uint8Array, width: number, height: number): Float64Array {
  checkSize('Mask', mask, width, height);
  const d = squaredDistanceTransform(mask, width, height);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]);
  return d;
}
