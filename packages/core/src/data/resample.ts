/**
 * Integer downscaling for CPU-sized replications (e.g. CamVid 360x480 -> 90x120):
 * images by box averaging (no aliasing), masks by the majority label of each
 * block's labelled pixels (ignore when a block has none; ties to the lower label).
 */
import type { Dataset, Sample } from './types.js';

export function downscaleSample(s: Sample, factor: number, ignoreIndex = 255): Sample {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`downscaleSample: the factor must be a positive integer (got ${factor}).`);
  const w = Math.floor(s.width / factor);
  const h = Math.floor(s.height / factor);
  if (w < 1 || h < 1) throw new Error(`Sample ${s.id} (${s.width}x${s.height}) is smaller than the factor ${factor}.`);
  const c = s.channels;
  const image = new Float32Array(w * h * c);
  const mask = new Uint8Array(w * h);
  const votes = new Uint16Array(256);
  const area = factor * factor;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      votes.fill(0);
      const o = y * w + x;
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++) {
          const i = (y * factor + dy) * s.width + x * factor + dx;
          for (let ch = 0; ch < c; ch++) image[o * c + ch] += s.image[i * c + ch]! / area;
          const m = s.mask[i]!;
          if (m !== ignoreIndex) votes[m]++;
        }
      }
      let best = ignoreIndex;
      let most = 0;
      for (let k = 0; k < 256; k++) {
        if (votes[k]! > most) {
          most = votes[k]!;
          best = k;
        }
      }
      mask[o] = best;
    }
  }
  return { id: s.id, width: w, height: h, channels: c, image, mask };
}

/** `dataset` with every sample downscaled by `factor`, decoded once and kept in memory. */
export function downscaled(dataset: Dataset, factor: number): Dataset {
  const cache = new Map<number, Promise<Sample>>();
  return {
    ...dataset,
    name: `${dataset.name}/${factor}`,
    get(index: number) {
      let s = cache.get(index);
      if (!s) {
        s = dataset.get(index).then((x) => downscaleSample(x, factor, dataset.ignoreIndex));
        s.catch(() => cache.delete(index));
        cache.set(index, s);
      }
      return s;
    },
  };
}

/** The samples of `dataset` at `indices`, as a dataset (e.g. a held-out part of a training split). */
export function subset(dataset: Dataset, indices: number[], name = `${dataset.name}[${indices.length}]`): Dataset {
  for (const i of indices) if (!Number.isInteger(i) || i < 0 || i >= dataset.length) throw new Error(`subset: index ${i} is outside ${dataset.name} (0..${dataset.length - 1}).`);
  const check = dataset.check?.bind(dataset);
  // Checked once per subset, like a dataset's full check (train() and evaluate() both ask).
  let checked: Promise<void> | undefined;
  return {
    ...dataset,
    name,
    length: indices.length,
    get: (i: number) => dataset.get(indices[i]!),
    ...(check ? { check: (mine?: number[]) => (mine ? check(mine.map((i) => indices[i]!)) : (checked ??= check(indices))) } : {}),
  };
}
