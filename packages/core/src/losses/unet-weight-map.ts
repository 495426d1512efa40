/**
 * The U-Net loss weight map (Ronneberger et al. 2015, eq. 2):
 *   w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))^2 / (2 sigma^2))
 * d1, d2: distances to the border of the nearest and second-nearest cell,
 * from an exact Euclidean distance transform of each connected cell; w_c
 * balances class frequencies. The border term is added on background
 * (membrane) pixels, where Fig. 3d of the paper shows it: inside a cell d1 = 0
 * and the term would only blur the cell's own edge.
 */
import { distanceTransform } from '../image/distance-transform.js';
import { connectedComponents } from '../image/connected-components.js';

export interface WeightMapOptions {
  w0?: number;
  sigma?: number;
  /** Label of cell pixels (foreground); every other label is background. ISBI: cells are 1. */
  foreground?: number;
  /** Per-class weights for w_c; default: inverse class frequency in this image, normalised to mean 1. */
  classWeights?: number[];
  numClasses?: number;
}

export function unetWeightMap(labels: ArrayLike<number>, width: number, height: number, o: WeightMapOptions = {}): Float32Array {
  const n = width * height;
  if (labels.length !== n) throw new Error(`unetWeightMap: labels hold ${labels.length} values, not ${width}x${height}.`);
  const w0 = o.w0 ?? 10;
  const sigma = o.sigma ?? 5;
  const fg = o.foreground ?? 1;
  const numClasses = o.numClasses ?? 2;
  const wc = o.classWeights ?? balancedWeights(labels, numClasses);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = wc[labels[i]!] ?? 0;

  const cellMask = new Uint8Array(n);
  for (let i = 0; i < n; i++) cellMask[i] = labels[i] === fg ? 1 : 0;
  const components = connectedComponents(cellMask, width, height);
  let count = 0;
  for (let i = 0; i < n; i++) count = Math.max(count, components[i]!);
  if (count < 2) return out; // d2 is infinite: the border term vanishes.

  // Track the two smallest distances per pixel over all cells. Each cell's
  // distance transform is computed only in its bounding box grown by R, where
  // w0 exp(-R^2 / (2 sigma^2)) = 1e-6: outside it d1 + d2 > R, so every term
  // left out is below 1e-6 (and the cost is the cells' boxes, not cells x image).
  const reach = Math.ceil(sigma * Math.sqrt(2 * Math.log(Math.max(w0, 1e-6) / 1e-6)));
  const d1 = new Float64Array(n).fill(Infinity);
  const d2 = new Float64Array(n).fill(Infinity);
  const boxes = new Int32Array((count + 1) * 4);
  for (let k = 1; k <= count; k++) boxes.set([width, height, -1, -1], k * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = components[y * width + x]!;
      if (k === 0) continue;
      const b = k * 4;
      if (x < boxes[b]!) boxes[b] = x;
      if (y < boxes[b + 1]!) boxes[b + 1] = y;
      if (x > boxes[b + 2]!) boxes[b + 2] = x;
      if (y > boxes[b + 3]!) boxes[b + 3] = y;
    }
  }
  for (let k = 1; k <= count; k++) {
    const x0 = Math.max(0, boxes[k * 4]! - reach);
    const y0 = Math.max(0, boxes[k * 4 + 1]! - reach);
    const x1 = Math.min(width - 1, boxes[k * 4 + 2]! + reach);
    const y1 = Math.min(height - 1, boxes[k * 4 + 3]! + reach);
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const mask = new Uint8Array(bw * bh);
    for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) mask[y * bw + x] = components[(y + y0) * width + x + x0] === k ? 1 : 0;
    const d = distanceTransform(mask, bw, bh);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const v = d[y * bw + x]!;
        const i = (y + y0) * width + x + x0;
        if (v < d1[i]!) {
          d2[i] = d1[i]!;
          d1[i] = v;
        } else if (v < d2[i]!) d2[i] = v;
      }
    }
  }
  const twoSigma2 = 2 * sigma * sigma;
  for (let i = 0; i < n; i++) {
    if (labels[i] === fg) continue;
    const s = d1[i]! + d2[i]!;
    out[i]! += w0 * Math.exp(-(s * s) / twoSigma2);
  }
  return out;
}

/** Inverse class frequency, scaled so the mean weight over the image is 1. */
function balancedWeights(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (c >= 0 && c < numClasses) counts[c]!++;
  }
  const present = Array.from(counts).filter((c) => c > 0).length;
  return Array.from(counts, (c) => (c > 0 ? labels.length / (present * c) : 0));
}
