/**
 * Confusion matrix for semantic segmentation, accumulated over many label
 * maps, and the four standard scores derived from it.
 * Definitions: Long, Shelhamer & Darrell, "Fully Convolutional Networks for
 * Semantic Segmentation", CVPR 2015, Sec. 5.
 */

export interface SegmentationMetrics {
  /** sum_i n_ii / sum_i t_i */
  pixelAcc: number;
  /** mean over classes with t_i > 0 of n_ii / t_i */
  meanAcc: number;
  /** mean over present classes of n_ii / (t_i + sum_j n_ji - n_ii) */
  miou: number;
  /** (1 / sum_k t_k) sum_i t_i IoU_i */
  fwIou: number;
  /** IoU per class; null when the class is in neither ground truth nor prediction. */
  perClassIou: (number | null)[];
  /** Accuracy (recall) per class; null when the class is not in the ground truth. */
  perClassAcc: (number | null)[];
  /** Number of pixels counted (ignored pixels excluded). */
  pixels: number;
}

export class ConfusionMatrix {
  /** numClasses x numClasses, row-major; row = ground truth, column = prediction. */
  readonly matrix: Float64Array;
  /**
   * Per ground-truth class, pixels whose prediction was not a valid class.
   * Kept outside the matrix so it stays square; they count in t_i (a miss)
   * but in no column.
   */
  readonly invalidPred: Float64Array;

  constructor(
    readonly numClasses: number,
    readonly ignoreIndex = 255,
  ) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new Error(`numClasses must be a positive integer, got ${numClasses}.`);
    }
    this.matrix = new Float64Array(numClasses * numClasses);
    this.invalidPred = new Float64Array(numClasses);
  }

  /** Accumulates one image (or any batch of pixels); `gt` and `pred` are flat label maps. */
  add(gt: ArrayLike<number>, pred: ArrayLike<number>): this {
    if (gt.length !== pred.length) {
      throw new Error(`Ground truth has ${gt.length} pixels but prediction has ${pred.length}.`);
    }
    const n = this.numClasses;
    const m = this.matrix;
    for (let p = 0; p < gt.length; p++) {
      const g = gt[p];
      // Ignore label and anything that is not a class id are not scored.
      if (g === this.ignoreIndex || !(g >= 0 && g < n) || (g | 0) !== g) continue;
      const q = pred[p];
      if (q >= 0 && q < n && (q | 0) === q) m[g * n + q]++;
      else this.invalidPred[g]++;
    }
    return this;
  }

  /** Adds another matrix's counts into this one (e.g. from parallel workers). */
  merge(other: ConfusionMatrix): this {
    if (other.numClasses !== this.numClasses) {
      throw new Error(`Cannot merge a ${other.numClasses}-class matrix into a ${this.numClasses}-class one.`);
    }
    for (let i = 0; i < this.matrix.length; i++) this.matrix[i] += other.matrix[i];
    for (let i = 0; i < this.invalidPred.length; i++) this.invalidPred[i] += other.invalidPred[i];
    return this;
  }

  reset(): void {
    this.matrix.fill(0);
    this.invalidPred.fill(0);
  }

  /** Scores as in Long et al. 2015; means are NaN when no class qualifies (nothing counted). */
  metrics(): SegmentationMetrics {
    const n = this.numClasses;
    const m = this.matrix;
    const rowTotal = new Float64Array(n); // t_i, including invalid predictions
    const colTotal = new Float64Array(n); // sum_j n_ji
    for (let i = 0; i < n; i++) {
      rowTotal[i] = this.invalidPred[i];
      for (let j = 0; j < n; j++) {
        rowTotal[i] += m[i * n + j];
        colTotal[j] += m[i * n + j];
      }
    }

    const perClassIou: (number | null)[] = [];
    const perClassAcc: (number | null)[] = [];
    let total = 0;
    let correct = 0;
    let accSum = 0;
    let accCount = 0;
    let iouSum = 0;
    let iouCount = 0;
    let fwSum = 0;
    for (let i = 0; i < n; i++) {
      const nii = m[i * n + i];
      const t = rowTotal[i];
      total += t;
      correct += nii;
      if (t > 0) {
        const acc = nii / t;
        perClassAcc.push(acc);
        accSum += acc;
        accCount++;
      } else {
        perClassAcc.push(null);
      }
      const union = t + colTotal[i] - nii;
      if (union > 0) {
        const iou = nii / union;
        perClassIou.push(iou);
        iouSum += iou;
        iouCount++;
        fwSum += t * iou;
      } else {
        // Absent from both maps: scoring it 0 or 1 would bias the mean either way.
        perClassIou.push(null);
      }
    }

    return {
      pixelAcc: correct / total,
      meanAcc: accSum / accCount,
      miou: iouSum / iouCount,
      fwIou: fwSum / total,
      perClassIou,
      perClassAcc,
      pixels: total,
    };
  }

  toJSON(): SegmentationMetrics {
    return this.metrics();
  }
}
