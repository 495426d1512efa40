/** Integer downscaling: box-averaged images, majority-vote masks. */
import { describe, expect, it } from 'vitest';
import { downscaled, downscaleSample, subset } from '../src/data/resample.js';
import type { Dataset, Sample } from '../src/data/types.js';

describe('downscaling', () => {
  it('averages 2x2 blocks of the image and takes the majority label of each block', () => {
    // 4x2, one channel: blocks {0,1,4,5} and {2,3,6,7}
    const s: Sample = {
      id: 'a',
      width: 4,
      height: 2,
      channels: 1,
      image: Float32Array.from([0, 0.4, 1, 1, 0.8, 0.4, 0, 0.2]),
      mask: Uint8Array.from([1, 2, 255, 255, 2, 3, 255, 0]),
    };
    const d = downscaleSample(s, 2);
    expect([d.width, d.height]).toEqual([2, 1]);
    expect(d.image[0]).toBeCloseTo(0.4, 6);
    expect(d.image[1]).toBeCloseTo(0.55, 6);
    // block 1: labels 1, 2, 2, 3 -> 2; block 2: only label 0 is labelled -> 0
    expect(Array.from(d.mask)).toEqual([2, 0]);
    const allIgnored = downscaleSample({ ...s, mask: new Uint8Array(8).fill(255) }, 2);
    expect(Array.from(allIgnored.mask)).toEqual([255, 255]);
    expect(() => downscaleSample(s, 1.5)).toThrow('downscaleSample: the factor must be a positive integer (got 1.5).');
  });

  it('downscaled() decodes each image once; subset() picks indices', async () => {
    let reads = 0;
    const base: Dataset = {
      name: 'toy',
      numClasses: 2,
      ignoreIndex: 255,
      classNames: ['a', 'b'],
      length: 3,
      get: async (i) => {
        reads++;
        return { id: String(i), width: 4, height: 4, channels: 1, image: new Float32Array(16).fill(i / 4), mask: new Uint8Array(16).fill(i % 2) };
      },
    };
    const small = downscaled(base, 2);
    expect((await small.get(1)).width).toBe(2);
    await small.get(1);
    expect(reads).toBe(1);
    const part = subset(small, [2, 0]);
    expect(part.length).toBe(2);
    expect((await part.get(0)).id).toBe('2');
    expect(() => subset(small, [3])).toThrow('subset: index 3 is outside toy/2 (0..2).');
  });
});
