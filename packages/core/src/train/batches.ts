/**
 * Batches for iteration i are a pure function of (seed, i): an epoch-wise
 * seeded permutation picks the samples and a per-sample seed drives the
 * augmentation. A resumed run therefore sees exactly the batches an
 * uninterrupted one would.
 */
import { tf } from '../engine/tf.js';
import type { Dataset, Sample } from '../data/types.js';
import { Random } from '../data/random.js';
import { augment, type AugmentOptions } from '../data/augment.js';

export interface Batch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
  weights?: tf.Tensor3D;
}

function permutation(n: number, seed: number, epoch: number): Uint32Array {
  const rnd = new Random(seed * 7919 + epoch);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rnd.int(0, i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

export class BatchLoader {
  private perms = new Map<number, Uint32Array>();

  constructor(
    private readonly dataset: Dataset,
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly augmentation?: AugmentOptions,
    /** Called on each augmented sample. */
    private readonly prepare?: (s: Sample) => Sample,
    /** Called once per dataset image before augmentation and cached (e.g. U-Net's weight maps). */
    private readonly precompute?: (s: Sample) => Sample,
  ) {
    if (dataset.length === 0) throw new Error(`Dataset ${dataset.name} is empty.`);
  }

  private indexAt(position: number): number {
    const n = this.dataset.length;
    const epoch = Math.floor(position / n);
    let p = this.perms.get(epoch);
    if (!p) {
      p = permutation(n, this.seed, epoch);
      this.perms.clear();
      this.perms.set(epoch, p);
    }
    return p[position % n]!;
  }

  private cache = new Map<number, Promise<Sample>>();
  private source(index: number): Promise<Sample> {
    if (!this.precompute) return this.dataset.get(index);
    let s = this.cache.get(index);
    if (!s) {
      s = this.dataset.get(index).then(this.precompute);
      // A failure is not cached: the next request tries again.
      s.catch(() => this.cache.delete(index));
      this.cache.set(index, s);
    }
    return s;
  }

  /** Decodes and augments the samples of iteration `iter` (0-based), on the CPU, no tensors yet. */
  async samples(iter: number): Promise<Sample[]> {
    const out: Sample[] = [];
    for (let b = 0; b < this.batchSize; b++) {
      const position = iter * this.batchSize + b;
      let s = await this.source(this.indexAt(position));
      if (this.augmentation) s = augment(s, { ignoreIndex: this.dataset.ignoreIndex, ...this.augmentation }, new Random(this.seed * 1_000_003 + position));
      if (this.prepare) s = this.prepare(s);
      out.push(s);
    }
    return out;
  }

  /** Stacks samples into tensors; all must share a size (set a crop when images differ). */
  static toTensors(samples: Sample[]): Batch {
    const first = samples[0]!;
    const { width: w, height: h, channels: c } = first;
    for (const s of samples) {
      if (s.width !== w || s.height !== h || s.channels !== c) {
        throw new Error(`Samples ${first.id} (${first.width}x${first.height}) and ${s.id} (${s.width}x${s.height}) differ in size; set a crop size to batch them.`);
      }
    }
    const images = new Float32Array(samples.length * h * w * c);
    const labels = new Int32Array(samples.length * h * w);
    const hasWeights = samples.every((s) => s.weights);
    const weights = hasWeights ? new Float32Array(samples.length * h * w) : undefined;
    samples.forEach((s, i) => {
      images.set(s.image, i * h * w * c);
      labels.set(s.mask, i * h * w);
      if (weights) weights.set(s.weights!, i * h * w);
    });
    return {
      images: tf.tensor4d(images, [samples.length, h, w, c]),
      labels: tf.tensor3d(labels, [samples.length, h, w], 'int32'),
      ...(weights ? { weights: tf.tensor3d(weights, [samples.length, h, w]) } : {}),
    };
  }
}
