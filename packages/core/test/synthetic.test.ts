import { describe, expect, it } from 'vitest';
import { syntheticDataset, Random } from '../src/index.js';

describe('synthetic dataset', () => {
  it('is deterministic per seed and index, differs across seeds', async () => {
    const a = await syntheticDataset({ count: 4, seed: 3 }).get(2);
    const b = await syntheticDataset({ count: 4, seed: 3 }).get(2);
    const c = await syntheticDataset({ count: 4, seed: 4 }).get(2);
    expect(Array.from(a.image)).toEqual(Array.from(b.image));
    expect(Array.from(a.mask)).toEqual(Array.from(b.mask));
    expect(Array.from(a.mask)).not.toEqual(Array.from(c.mask));
  });

  it('has valid pixels and labels, and every class appears across a few images', async () => {
    const ds = syntheticDataset({ count: 8, height: 48, width: 40, classes: 4, channels: 3, seed: 1 });
    const seen = new Set<number>();
    for (let i = 0; i < ds.length; i++) {
      const s = await ds.get(i);
      expect(s.image.length).toBe(48 * 40 * 3);
      expect(s.mask.length).toBe(48 * 40);
      expect(Array.from(s.image).every((v) => v >= 0 && v <= 1)).toBe(true);
      s.mask.forEach((m) => seen.add(m));
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    await expect(ds.get(8)).rejects.toThrow(/8 samples; index 8 is out of range/);
  });

  it('Random is reproducible and uniform enough', () => {
    const r = new Random(42);
    const xs = Array.from({ length: 10000 }, () => r.next());
    expect(new Random(42).next()).toBe(xs[0]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});
