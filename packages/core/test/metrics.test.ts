/**
 * Segmentation metrics on label maps, against values computed by hand.
 */
import { describe, expect, it } from 'vitest';
import { ConfusionMatrix } from '../src/metrics/confusion.js';
import { boundaryF1, boundaryMask, classBoundaryF1 } from '../src/metrics/boundary.js';
import { pixelError, randError, randErrorOfSegmentations } from '../src/metrics/isbi.js';
import { distanceTransform } from '../src/image/distance-transform.js';
import { connectedComponents } from '../src/image/connected-components.js';

describe('ConfusionMatrix', () => {
  // 4 classes; class 3 is in neither map. Pixels (gt, pred):
  // (0,0) x3, (0,1), (0,9: invalid pred -> miss for class 0),
  // (1,1) x2, (1,2), (2,2), (2,0), (255,1: ignored), (5,0: gt out of range, skipped).
  const gt = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 255, 5];
  const pred = [0, 0, 0, 1, 9, 1, 1, 2, 2, 0, 1, 0];
  // Rows (gt) x cols (pred):  row0 [3,1,0,0] + 1 invalid -> t0 = 5
  //                            row1 [0,2,1,0] -> t1 = 3
  //                            row2 [1,0,1,0] -> t2 = 2
  //                            row3 [0,0,0,0] -> t3 = 0
  // Column sums: 4, 3, 2, 0. N = 10, diagonal sum = 6.

  it('computes every score as defined by Long et al. 2015', () => {
    const cm = new ConfusionMatrix(4).add(gt, pred);
    expect(Array.from(cm.matrix)).toEqual([3, 1, 0, 0, 0, 2, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    const m = cm.metrics();
    expect(m.pixels).toBe(10);
    // 6 / 10
    expect(m.pixelAcc).toBeCloseTo(0.6, 10);
    // acc = 3/5, 2/3, 1/2, null -> mean = (18 + 20 + 15) / 30 / 3 = 53/90
    expect(m.perClassAcc[0]).toBeCloseTo(3 / 5, 10);
    expect(m.perClassAcc[1]).toBeCloseTo(2 / 3, 10);
    expect(m.perClassAcc[2]).toBeCloseTo(1 / 2, 10);
    expect(m.perClassAcc[3]).toBeNull();
    expect(m.meanAcc).toBeCloseTo(53 / 90, 10);
    // IoU0 = 3/(5+4-3) = 1/2, IoU1 = 2/(3+3-2) = 1/2, IoU2 = 1/(2+2-1) = 1/3, IoU3 null
    expect(m.perClassIou[0]).toBeCloseTo(1 / 2, 10);
    expect(m.perClassIou[1]).toBeCloseTo(1 / 2, 10);
    expect(m.perClassIou[2]).toBeCloseTo(1 / 3, 10);
    expect(m.perClassIou[3]).toBeNull();
    // mIoU = (1/2 + 1/2 + 1/3) / 3 = 4/9
    expect(m.miou).toBeCloseTo(4 / 9, 10);
    // fwIoU = (5 * 1/2 + 3 * 1/2 + 2 * 1/3) / 10 = (14/3) / 10 = 7/15
    expect(m.fwIou).toBeCloseTo(7 / 15, 10);
    expect(cm.toJSON()).toEqual(m);
  });

  it('scores a class predicted but absent from the ground truth as IoU 0 and accuracy null', () => {
    // row0 [1,1,0]: t0 = 2, t1 = 0 with column sum 1, class 2 absent.
    const m = new ConfusionMatrix(3).add([0, 0], [0, 1]).metrics();
    expect(m.perClassAcc).toEqual([0.5, null, null]);
    expect(m.perClassIou[0]).toBeCloseTo(1 / 2, 10); // 1 / (2 + 1 - 1)
    expect(m.perClassIou[1]).toBe(0); // 0 / (0 + 1 - 0)
    expect(m.perClassIou[2]).toBeNull();
    expect(m.meanAcc).toBeCloseTo(0.5, 10);
    expect(m.miou).toBeCloseTo(0.25, 10);
    expect(m.fwIou).toBeCloseTo(0.5, 10); // (2 * 1/2 + 0 * 0) / 2
    expect(m.pixelAcc).toBeCloseTo(0.5, 10);
  });

  it('merging per-image matrices equals adding every image to one', () => {
    const all = new ConfusionMatrix(4).add(gt, pred);
    const a = new ConfusionMatrix(4).add(gt.slice(0, 5), pred.slice(0, 5));
    const b = new ConfusionMatrix(4).add(gt.slice(5), pred.slice(5));
    a.merge(b);
    expect(Array.from(a.matrix)).toEqual(Array.from(all.matrix));
    expect(Array.from(a.invalidPred)).toEqual(Array.from(all.invalidPred));
    expect(a.metrics()).toEqual(all.metrics());
  });

  it('rejects maps of different lengths and mismatched merges', () => {
    const cm = new ConfusionMatrix(3);
    expect(() => cm.add([0, 1, 2], [0, 1])).toThrow('Ground truth has 3 pixels but prediction has 2.');
    expect(() => cm.merge(new ConfusionMatrix(4))).toThrow(/4-class/);
  });

  it('respects a custom ignore index and typed arrays', () => {
    const m = new ConfusionMatrix(2, 0).add(new Uint8Array([0, 1, 1]), new Uint8Array([1, 1, 0])).metrics();
    expect(m.pixels).toBe(2);
    expect(m.pixelAcc).toBeCloseTo(0.5, 10);
  });
});

/** Brute-force Euclidean distance to the nearest set pixel. */
function bruteDistance(mask: Uint8Array, width: number, height: number): Float64Array {
  const out = new Float64Array(width * height).fill(Infinity);
  for (let p = 0; p < mask.length; p++) {
    for (let q = 0; q < mask.length; q++) {
      if (!mask[q]) continue;
      const dx = (p % width) - (q % width);
      const dy = Math.floor(p / width) - Math.floor(q / width);
      out[p] = Math.min(out[p], Math.hypot(dx, dy));
    }
  }
  return out;
}

/** Small deterministic LCG so the random mask is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('distanceTransform', () => {
  it('matches brute force on a random 13x9 mask', () => {
    const [w, h] = [13, 9];
    for (const [seed, density] of [[1, 0.1], [7, 0.02], [42, 0.5]] as const) {
      const rand = lcg(seed);
      const mask = new Uint8Array(w * h);
      for (let i = 0; i < mask.length; i++) mask[i] = rand() < density ? 1 : 0;
      mask[(seed * 5) % mask.length] = 1; // at least one site
      const got = distanceTransform(mask, w, h);
      const want = bruteDistance(mask, w, h);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], 10);
    }
  });

  it('is Infinity everywhere for an empty mask', () => {
    expect(Array.from(distanceTransform(new Uint8Array(6), 3, 2))).toEqual(new Array(6).fill(Infinity));
  });
});

describe('boundaryF1', () => {
  it('marks both sides of a label change and nothing next to ignore pixels', () => {
    expect(Array.from(boundaryMask([0, 0, 1, 1], 4, 1, 255))).toEqual([0, 1, 1, 0]);
    expect(Array.from(boundaryMask([0, 0, 255, 1, 1], 5, 1, 255))).toEqual([0, 0, 0, 0, 0]);
    // 2x2: vertical neighbours count too.
    expect(Array.from(boundaryMask([0, 0, 1, 1], 2, 2, 255))).toEqual([1, 1, 1, 1]);
  });

  it('is 1 for identical maps and for two uniform maps', () => {
    const map = [0, 0, 1, 1, 2, 0, 1, 1, 2, 2, 1, 1];
    expect(boundaryF1(map, map, 4, 3).f1).toBe(1);
    expect(boundaryF1([3, 3, 3, 3], [1, 1, 1, 1], 2, 2)).toMatchObject({ precision: 1, recall: 1, f1: 1 });
  });

  it('accepts a 1-pixel shift at tolerance 1 but not 0', () => {
    // 4x3, step at column 2 vs column 1 in every row.
    // gt boundary: columns 1,2 (6 px); pred boundary: columns 0,1 (6 px).
    // tol 0: only column 1 matches -> P = 3/6, R = 3/6, F1 = 1/2. tol 1: everything matches.
    const gt = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1];
    const pred = [0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1];
    expect(boundaryF1(gt, pred, 4, 3, { tolerance: 1 }).f1).toBe(1);
    const strict = boundaryF1(gt, pred, 4, 3, { tolerance: 0 });
    expect(strict.precision).toBeCloseTo(0.5, 10);
    expect(strict.recall).toBeCloseTo(0.5, 10);
    expect(strict.f1).toBeCloseTo(0.5, 10);
  });

  it('computes precision and recall separately (hand case)', () => {
    // 8x1. gt [0,0,0,0,1,1,1,1] -> boundary {3,4}.
    // pred [0,1,0,0,0,1,1,1] -> boundary {0,1,2,4,5}.
    const gt = [0, 0, 0, 0, 1, 1, 1, 1];
    const pred = [0, 1, 0, 0, 0, 1, 1, 1];
    // tol 0: P = |{4}|/5 = 1/5, R = |{4}|/2 = 1/2, F1 = 2*(1/10)/(7/10) = 2/7.
    const t0 = boundaryF1(gt, pred, 8, 1, { tolerance: 0 });
    expect(t0).toMatchObject({ predBoundary: 5, gtBoundary: 2 });
    expect(t0.precision).toBeCloseTo(1 / 5, 10);
    expect(t0.recall).toBeCloseTo(1 / 2, 10);
    expect(t0.f1).toBeCloseTo(2 / 7, 10);
    // tol 1: pred {2,4,5} within 1 of {3,4} -> P = 3/5; gt 3 (next to 2, 4) and 4 -> R = 1.
    // F1 = 2 * 3/5 / (8/5) = 3/4.
    const t1 = boundaryF1(gt, pred, 8, 1, { tolerance: 1 });
    expect(t1.precision).toBeCloseTo(3 / 5, 10);
    expect(t1.recall).toBe(1);
    expect(t1.f1).toBeCloseTo(3 / 4, 10);
  });

  it('uses Euclidean distance: a diagonal offset needs tolerance sqrt(2)', () => {
    // 3x3: a single label-1 pixel in opposite corners (index 0 in gt, 8 in pred).
    // gt boundary {0,1,3}, pred boundary {5,7,8}. Closest pairs: 5-1 = (2,1)-(1,0) and
    // 7-3 = (1,2)-(0,1), both sqrt 2; pixels 0 and 8 are at least sqrt 5 from the other side.
    const gt = [1, 0, 0, 0, 0, 0, 0, 0, 0];
    const pred = [0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(boundaryF1(gt, pred, 3, 3, { tolerance: 1 }).f1).toBe(0);
    // tol 1.5: P = R = 2/3.
    const s = boundaryF1(gt, pred, 3, 3, { tolerance: 1.5 });
    expect(s.precision).toBeCloseTo(2 / 3, 10);
    expect(s.recall).toBeCloseTo(2 / 3, 10);
  });

  it('does not score ignore pixels and treats an empty side as perfect', () => {
    // The only label change in pred is across a gt-ignore pixel: no boundary anywhere.
    expect(boundaryF1([0, 0, 255, 1, 1], [0, 0, 0, 1, 1], 5, 1).f1).toBe(1);
    // Out-of-range gt is ignored only when numClasses is given.
    expect(boundaryF1([0, 0, 7, 1, 1], [0, 0, 0, 1, 1], 5, 1, { numClasses: 2 }).f1).toBe(1);
    // No predicted boundary but a gt boundary: P = 1, R = 0, F1 = 0.
    expect(boundaryF1([0, 1], [0, 0], 2, 1)).toMatchObject({ precision: 1, recall: 0, f1: 0 });
  });
});

describe('ISBI 2012 metrics', () => {
  it('labels 4-connected components in raster order', () => {
    const mask = [1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1];
    // 1 1 0 2
    // 0 1 0 2
    // 3 0 0 2   (the diagonal 3-1 contact does not connect)
    expect(Array.from(connectedComponents(mask, 4, 3))).toEqual([1, 1, 0, 2, 0, 1, 0, 2, 3, 0, 0, 2]);
  });

  it('pixel error is the fraction of differing binary pixels', () => {
    // Differ at 1, 2, 4, 5 of 6.
    expect(pixelError([1, 1, 0, 1, 1, 0], [1, 0, 1, 1, 0, 1])).toBeCloseTo(4 / 6, 10);
    // Nonzero is foreground: 255 and 1 agree.
    expect(pixelError([255, 0], [1, 0])).toBe(0);
    expect(() => pixelError([1], [1, 0])).toThrow('Ground truth has 1 pixels but prediction has 2.');
  });

  it('Rand error is 0 for identical and relabelled-identical segmentations', () => {
    const map = [1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1];
    expect(randError(map, map, 4, 3)).toBe(0);
    expect(randError(map, map.map((v) => v * 255), 4, 3)).toBe(0);
    expect(randErrorOfSegmentations([3, 3, 7, 7, 9], [1, 1, 0, 0, 5])).toBe(0);
  });

  it('all-pairs Rand error of a 1x4 segment split into {0,1}, {2}, {3}', () => {
    // sum a^2 = 16, sum b^2 = 4 + 1 + 1 = 6, sum n^2 = 6 -> (16 + 6 - 12) / 16.
    expect(randErrorOfSegmentations([1, 1, 1, 1], [1, 1, 2, 3])).toBeCloseTo(10 / 16, 10);
  });

  it('foreground-restricted Rand error: a cell split by one predicted membrane pixel', () => {
    // gt: one cell of 4 -> sum a^2 = 16. pred [1,1,0,1]: cells {0,1}, {3}, singleton {2}.
    // sum n^2 = 4 + 1 + 1 = 6 = sum b^2 -> P = 1, R = 6/16; F = 2 * 0.375 / 1.375 = 6/11.
    expect(randError([1, 1, 1, 1], [1, 1, 0, 1], 4, 1)).toBeCloseTo(5 / 11, 10);
  });

  it('foreground-restricted Rand error: merging two cells costs precision', () => {
    // gt cells {0,1}, {3,4} (pixel 2 is membrane, not scored): sum a^2 = 8.
    // pred one cell over all 5: over the scored pixels b = 4 -> sum b^2 = 16, sum n^2 = 4 + 4 = 8.
    // P = 0.5, R = 1 -> F = 2/3.
    expect(randError([1, 1, 0, 1, 1], [1, 1, 1, 1, 1], 5, 1)).toBeCloseTo(1 / 3, 10);
  });

  it('foreground-restricted Rand error: membrane everywhere costs recall', () => {
    // 3x3 gt with one cell of 8 pixels around a membrane pixel: sum a^2 = 64.
    // pred all membrane: 8 singletons -> sum n^2 = sum b^2 = 8; P = 1, R = 1/8 -> F = 2/9.
    const gt = [1, 1, 1, 1, 0, 1, 1, 1, 1];
    expect(randError(gt, new Array(9).fill(0), 3, 3)).toBeCloseTo(7 / 9, 10);
    // Membrane pixels of the ground truth are not scored: predicting the centre as cell changes nothing.
    expect(randError(gt, [1, 1, 1, 1, 1, 1, 1, 1, 1], 3, 3)).toBe(0);
    // No ground-truth cells: nothing to score.
    expect(randError([0, 0], [1, 1], 2, 1)).toBe(0);
  });
});

describe("classBoundaryF1 (SegNet's BF)", () => {
  // 6x4: class 0 in columns 0-2, class 1 in columns 3-5; each class's boundary is the 2-pixel-wide seam
  const gt = Array.from({ length: 24 }, (_, p) => (p % 6 < 3 ? 0 : 1));

  it('is 1 for a perfect prediction and averages over the classes present in the ground truth only', () => {
    const r = classBoundaryF1(gt, gt, 6, 4, { numClasses: 3 });
    expect(r).toEqual({ f1: 1, perClass: [1, 1, null] });
  });

  it('a seam one column off: F1 0 at tolerance 0 (0.75% of the 7.2 px diagonal is 0.05 px), 1 at tolerance 1', () => {
    const pred = Array.from({ length: 24 }, (_, p) => (p % 6 < 4 ? 0 : 1));
    // class 0's boundary: gt columns 2,3 vs predicted 3,4: column 3 matches at distance 0
    // -> precision 4/8, recall 4/8 at tolerance 0 for each class
    const t0 = classBoundaryF1(gt, pred, 6, 4, { numClasses: 2 });
    expect(t0.perClass).toEqual([0.5, 0.5]);
    expect(t0.f1).toBe(0.5);
    expect(classBoundaryF1(gt, pred, 6, 4, { numClasses: 2, tolerance: 1 }).f1).toBe(1);
  });

  it('a class present but never predicted scores 0; ignored ground truth makes no boundary', () => {
    const allZero = new Array(24).fill(0);
    expect(classBoundaryF1(gt, allZero, 6, 4, { numClasses: 2 }).perClass).toEqual([0, 0]);
    const ignored = gt.map((g) => (g === 1 ? 255 : g));
    expect(classBoundaryF1(ignored, allZero, 6, 4, { numClasses: 2 })).toEqual({ f1: 1, perClass: [1, null] });
    expect(classBoundaryF1(new Array(24).fill(255), allZero, 6, 4, { numClasses: 2 }).f1).toBeNull();
  });
});
