/**
 * Median-frequency class balancing (Eigen & Fergus 2015, used by SegNet,
 * Badrinarayanan et al. 2017, Sec. 3.6): weight_c = median_freq / freq_c,
 * where freq_c = pixels of class c / pixels of the images in which c appears.
 */
import type { Dataset } from '../data/types.js';

/** Median-frequency weights of a dataset's label maps (every sample decoded once). */
export async function datasetMedianFrequency(dataset: Dataset): Promise<number[]> {
  const masks: Uint8Array[] = [];
  for (let i = 0; i < dataset.length; i++) masks.push((await dataset.get(i)).mask);
  return medianFrequencyWeights(masks, dataset.numClasses, dataset.ignoreIndex);
}

export function medianFrequencyWeights(labelMaps: Iterable<ArrayLike<number>>, numClasses: number, ignoreIndex = 255): number[] {
  const classPixels = new Float64Array(numClasses);
  const imagePixels = new Float64Array(numClasses);
  for (const labels of labelMaps) {
    const counts = new Float64Array(numClasses);
    let valid = 0;
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]!;
      if (c === ignoreIndex || c < 0 || c >= numClasses) continue;
      counts[c]!++;
      valid++;
    }
    for (let c = 0; c < numClasses; c++) {
      if (counts[c]! > 0) {
        classPixels[c]! += counts[c]!;
        imagePixels[c]! += valid;
      }
    }
  }
  const freq = Array.from(classPixels, (n, c) => (imagePixels[c]! > 0 ? n / imagePixels[c]! : 0));
  const present = freq.filter((f) => f > 0).sort((a, b) => a - b);
  if (present.length === 0) throw new Error('medianFrequencyWeights: no labelled pixels in the dataset.');
  const mid = present.length >> 1;
  const median = present.length % 2 ? present[mid]! : (present[mid - 1]! + present[mid]!) / 2;
  // A class never seen gets weight 0: it cannot contribute to the loss anyway.
  return freq.map((f) => (f > 0 ? median / f : 0));
}
