/**
 * Metrics of the ISBI 2012 EM segmentation challenge on binary maps
 * (nonzero = cell interior / foreground, 0 = membrane).
 * Challenge: Arganda-Carreras et al., "Crowdsourcing the creation of image
 * segmentation algorithms for connectomics", Front. Neuroanat. 2015.
 */

import { connectedComponents } from '../image/connected-components.js';

function checkSameLength(gt: ArrayLike<number>, pred: ArrayLike<number>): void {
  if (gt.length !== pred.length) {
    throw new Error(`Ground truth has ${gt.length} pixels but prediction has ${pred.length}.`);
  }
}

/** Fraction of pixels whose binary value differs (0 for an empty image). */
export function pixelError(gt: ArrayLike<number>, pred: ArrayLike<number>): number {
  checkSameLength(gt, pred);
  if (gt.length === 0) return 0;
  let wrong = 0;
  for (let p = 0; p < gt.length; p++) if ((gt[p] !== 0) !== (pred[p] !== 0)) wrong++;
  return wrong / gt.length;
}

/** Maps arbitrary segment ids to dense 0..k-1 so pairs can be keyed by one number. */
function densify(ids: ArrayLike<number>): { dense: Int32Array; count: number; sizes: number[] } {
  const index = new Map<number, number>();
  const dense = new Int32Array(ids.length);
  const sizes: number[] = [];
  for (let p = 0; p < ids.length; p++) {
    let d = index.get(ids[p]);
    if (d === undefined) {
      d = sizes.length;
      index.set(ids[p], d);
      sizes.push(0);
    }
    sizes[d]++;
    dense[p] = d;
  }
  return { dense, count: sizes.length, sizes };
}

/**
 * Rand error between two segmentations given as per-pixel segment ids (any
 * numbers; only equality matters). Counts disagreeing ordered pixel pairs
 * (same segment in one, different in the other) from the contingency table:
 * (sum_i a_i^2 + sum_j b_j^2 - 2 sum_ij n_ij^2) / N^2 = 1 - Rand index.
 * Rand, "Objective criteria for the evaluation of clustering methods", JASA 1971.
 */
export function randErrorOfSegmentations(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength(a, b);
  const n = a.length;
  if (n === 0) return 0;
  const A = densify(a);
  const B = densify(b);
  let sumA2 = 0;
  for (const s of A.sizes) sumA2 += s * s;
  let sumB2 = 0;
  for (const s of B.sizes) sumB2 += s * s;
  // Key < count_a * count_b <= N^2, exact in a double for any realistic image.
  const joint = new Map<number, number>();
  for (let p = 0; p < n; p++) {
    const key = A.dense[p] * B.count + B.dense[p];
    joint.set(key, (joint.get(key) ?? 0) + 1);
  }
  let sumN2 = 0;
  for (const c of joint.values()) sumN2 += c * c;
  return (sumA2 + sumB2 - 2 * sumN2) / (n * n);
}

/** Segment ids for the Rand error: a component id per cell, a fresh id per membrane pixel. */
function segmentIds(map: ArrayLike<number>, width: number, height: number): Int32Array {
  const ids = connectedComponents(map, width, height);
  let next = 0;
  for (let p = 0; p < ids.length; p++) if (ids[p] > next) next = ids[p];
  for (let p = 0; p < ids.length; p++) if (ids[p] === 0) ids[p] = ++next;
  return ids;
}

/**
 * Rand error of the ISBI 2012 binary maps, defined here precisely as:
 * segments = 4-connected components of the foreground (nonzero) pixels, and
 * every membrane (0) pixel of a map is a singleton segment of its own; then
 * RandError = disagreements / N^2 over all N pixels, with disagreements =
 * sum_i a_i^2 + sum_j b_j^2 - 2 sum_ij n_ij^2 (ordered pairs, self-pairs
 * included) from the contingency table n_ij of the two segmentations.
 * Caveat: over all pixel pairs most pairs lie in different cells in both
 * maps, so a map that predicts membrane everywhere scores about 1/(number of
 * cells) here. The challenge's later foreground-restricted Rand F-score
 * (Arganda-Carreras et al. 2015) does not have that blind spot.
 */
export function randError(gt: ArrayLike<number>, pred: ArrayLike<number>, width: number, height: number): number {
  checkSameLength(gt, pred);
  return randErrorOfSegmentations(segmentIds(gt, width, height), segmentIds(pred, width, height));
}
