/** What the replications' definitions load their data with: lazily, once per process, so `--list` reads nothing. */
import { camvidSplit } from '../report/experiment.js';
import type { Dataset } from '../data/types.js';
import { datasetMedianFrequency } from '../losses/median-frequency.js';

/** `load` on the first call, its promise on every later one. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}

export interface CamvidSplits {
  train: () => Promise<Dataset>;
  val: () => Promise<Dataset>;
  test: () => Promise<Dataset>;
}

/** CamVid's three splits as a profile sizes them: the first N images of each, downscaled. */
export function camvidSplits(p: { downscale: number; trainImages: number; valImages: number; testImages: number }, dataDir: string): CamvidSplits {
  return {
    train: once(() => camvidSplit(dataDir, 'train', p.downscale, p.trainImages)),
    val: once(() => camvidSplit(dataDir, 'val', p.downscale, p.valImages)),
    test: once(() => camvidSplit(dataDir, 'test', p.downscale, p.testImages)),
  };
}

/** Median-frequency class weights of the training labels (SegNet's balancing), rounded as a run's config records them; computed once. */
export function medianWeights(train: () => Promise<Dataset>): () => Promise<number[]> {
  return once(async () => (await datasetMedianFrequency(await train())).map((w) => Number(w.toFixed(6))));
}
