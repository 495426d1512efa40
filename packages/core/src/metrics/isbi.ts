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

/**
 * Foreground-restricted Rand error of ISBI 2012 binary maps: 1 - V_Rand, the
 * Rand F-score the challenge adopted (Arganda-Carreras et al. 2015, Sec. 2.3;
 * the SNEMI3D "adapted Rand error"), computed as follows.
 * - Ground-truth segments: 4-connected components of its cell (nonzero)
 *   pixels. Only pixels inside ground-truth cells are scored: the membrane
 *   pixels of the ground truth are left out ("foreground-restricted").
 * - Predicted segments: 4-connected components of its cell pixels; each
 *   predicted membrane pixel is a singleton segment of its own (a
 *   predicted boundary joins nothing).
 * - With n_ij the contingency table over the scored pixels, a_i and b_j its
 *   row and column sums: precision = sum n_ij^2 / sum b_j^2 (pairs together
 *   in the prediction that are together in the truth), recall = sum n_ij^2 /
 *   sum a_i^2, and the error is 1 - 2PR / (P + R).
 * Unlike the all-pairs Rand error this penalises both merging cells (low
 * precision) and predicting membrane everywhere (low recall). Differences
 * from the challenge's final score: no border thinning and no maximum over
 * thresholds (our maps are already binary). 0 when the ground truth has no
 * cell pixels (nothing to score).
 */
export function randError(gt: ArrayLike<number>, pred: ArrayLike<number>, width: number, height: number): number {
  checkSameLength(gt, pred);
  const g = connectedComponents(gt, width, height);
  const p = connectedComponents(pred, width, height);
  let predCount = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > predCount) predCount = p[i]!;
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  const joint = new Map<number, number>();
  let singletons = 0;
  for (let i = 0; i < g.length; i++) {
    const a = g[i]!;
    if (a === 0) continue;
    rows.set(a, (rows.get(a) ?? 0) + 1);
    const b = p[i]!;
    if (b === 0) {
      singletons++;
      continue;
    }
    cols.set(b, (cols.get(b) ?? 0) + 1);
    const key = a * (predCount + 1) + b;
    joint.set(key, (joint.get(key) ?? 0) + 1);
  }
  if (rows.size === 0) return 0;
  const sumSquares = (m: Map<number, number>) => {
    let s = 0;
    for (const c of m.values()) s += c * c;
    return s;
  };
  const sumA = sumSquares(rows);
  const sumB = sumSquares(cols) + singletons;
  const sumAB = sumSquares(joint) + singletons;
  const precision = sumAB / sumB;
  const recall = sumAB / sumA;
  return 1 - (2 * precision * recall) / (precision + recall);
}
