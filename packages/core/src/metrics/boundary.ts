/**
 * Boundary F1 (BF) score of a predicted label map against the ground truth,
 * with a distance tolerance in pixels.
 * Definition: Csurka, Larlus & Perronnin, "What is a good evaluation measure
 * for semantic segmentation?", BMVC 2013; as reported by SegNet (Badrinarayanan
 * et al., TPAMI 2017). This is the class-agnostic variant: boundaries are all
 * label changes of the map, not one binary boundary per class.
 */

import { squaredDistanceTransform } from '../image/distance-transform.js';
import { checkSize } from '../image/size.js';

export interface BoundaryF1Options {
  /** Largest Euclidean distance (pixels) at which a boundary pixel still matches. */
  tolerance?: number;
  /** Ground-truth label that is not scored. */
  ignoreIndex?: number;
  /** When given, ground-truth labels outside [0, numClasses) are ignored too. */
  numClasses?: number;
}

export interface BoundaryScore {
  precision: number;
  recall: number;
  f1: number;
  /** Boundary pixel counts, useful to pool scores over a data set. */
  predBoundary: number;
  gtBoundary: number;
}


/**
 * Marks pixels with a 4-neighbour of a different label; pairs touching a
 * skipped pixel are not compared, so an ignore region creates no boundary.
 * Both pixels of a differing pair are marked, which makes the mask symmetric.
 */
function markBoundaries(labels: ArrayLike<number>, width: number, height: number, skip: Uint8Array): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (skip[p]) continue;
      const l = labels[p];
      if (x + 1 < width && !skip[p + 1] && labels[p + 1] !== l) {
        out[p] = 1;
        out[p + 1] = 1;
      }
      if (y + 1 < height && !skip[p + width] && labels[p + width] !== l) {
        out[p] = 1;
        out[p + width] = 1;
      }
    }
  }
  return out;
}

/** 1 on pixels that lie on a label change (4-neighbourhood); pixels labelled ignoreIndex are never boundaries. */
export function boundaryMask(
  labels: ArrayLike<number>,
  width: number,
  height: number,
  ignoreIndex = 255,
): Uint8Array {
  checkSize('Label map', labels, width, height);
  const skip = new Uint8Array(labels.length);
  for (let p = 0; p < labels.length; p++) if (labels[p] === ignoreIndex) skip[p] = 1;
  return markBoundaries(labels, width, height, skip);
}

/** Counts boundary pixels of `from` and those within tolerance (squared distance) of `to`. */
function matched(from: Uint8Array, toD2: Float64Array, tol2: number): [number, number] {
  let total = 0;
  let hit = 0;
  for (let p = 0; p < from.length; p++) {
    if (!from[p]) continue;
    total++;
    if (toD2[p] <= tol2) hit++;
  }
  return [hit, total];
}

/**
 * Boundary precision, recall and F1 of `pred` against `gt` (flat label maps).
 * An empty side counts as perfect (P = 1 with no predicted boundary, R = 1
 * with no ground-truth boundary), so two uniform maps score F1 = 1.
 */
export function boundaryF1(
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  width: number,
  height: number,
  options: BoundaryF1Options = {},
): BoundaryScore {
  const { tolerance = 2, ignoreIndex = 255, numClasses } = options;
  checkSize('Ground truth', gt, width, height);
  checkSize('Prediction', pred, width, height);
  if (!(tolerance >= 0)) throw new Error(`Tolerance must be non-negative, got ${tolerance}.`);

  // The ground truth decides what is ignored, in both maps.
  const skip = new Uint8Array(gt.length);
  for (let p = 0; p < gt.length; p++) {
    const g = gt[p];
    if (g === ignoreIndex || (numClasses !== undefined && !(g >= 0 && g < numClasses))) skip[p] = 1;
  }
  const gtB = markBoundaries(gt, width, height, skip);
  const predB = markBoundaries(pred, width, height, skip);

  // Compare squared integer distances so the tolerance test is exact.
  const tol2 = tolerance * tolerance;
  const [pHit, pTotal] = matched(predB, squaredDistanceTransform(gtB, width, height), tol2);
  const [rHit, rTotal] = matched(gtB, squaredDistanceTransform(predB, width, height), tol2);
  const precision = pTotal === 0 ? 1 : pHit / pTotal;
  const recall = rTotal === 0 ? 1 : rHit / rTotal;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, predBoundary: pTotal, gtBoundary: rTotal };
}

export interface ClassBoundaryF1Options {
  /** Tolerance in pixels; SegNet's default is 0.75% of the image diagonal. */
  tolerance?: number;
  /** Ground-truth labels outside [0, numClasses) (e.g. 255) are not scored. */
  numClasses: number;
}

/**
 * SegNet's BF score of one image (Badrinarayanan et al. 2017, Sec. 4, after
 * Csurka et al. 2013): for each class present in the ground truth, the
 * boundary F1 of that class's binary masks, with a tolerance of 0.75% of the
 * image diagonal; averaged over those classes. A data set's BF is the mean
 * over images. Undefined (null) for an image with no labelled pixel.
 */
export function classBoundaryF1(gt: ArrayLike<number>, pred: ArrayLike<number>, width: number, height: number, o: ClassBoundaryF1Options): { f1: number | null; perClass: (number | null)[] } {
  const tolerance = o.tolerance ?? 0.0075 * Math.hypot(width, height);
  const present = new Uint8Array(o.numClasses);
  for (let p = 0; p < gt.length; p++) if (gt[p]! >= 0 && gt[p]! < o.numClasses) present[gt[p]!] = 1;
  const perClass: (number | null)[] = [];
  const gtc = new Uint8Array(gt.length);
  const predc = new Uint8Array(pred.length);
  for (let c = 0; c < o.numClasses; c++) {
    if (!present[c]) {
      perClass.push(null);
      continue;
    }
    for (let p = 0; p < gt.length; p++) {
      const g = gt[p]!;
      gtc[p] = g === c ? 1 : g >= 0 && g < o.numClasses ? 0 : 2;
      predc[p] = pred[p] === c ? 1 : 0;
    }
    perClass.push(boundaryF1(gtc, predc, width, height, { tolerance, ignoreIndex: 2 }).f1);
  }
  const scored = perClass.filter((f): f is number => f !== null);
  return { f1: scored.length ? scored.reduce((a, b) => a + b, 0) / scored.length : null, perClass };
}
