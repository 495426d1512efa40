/** Loss helpers against hand-computed values. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../src/index.js';
import { medianFrequencyWeights } from '../src/losses/median-frequency.js';
import { unetWeightMap } from '../src/losses/unet-weight-map.js';
import { softDiceLoss } from '../src/losses/dice.js';
import { withAuxiliary } from '../src/losses/auxiliary.js';

describe('median-frequency weights', () => {
  it('weights classes by median frequency over the images they appear in', () => {
    // image A: 4 px, classes [0,0,0,1]; image B: 4 px, classes [0,2,2,255] (3 valid)
    // freq0 = 4/7 (appears in A and B: 3 + 1 px of 4 + 3 valid), freq1 = 1/4, freq2 = 2/3
    const w = medianFrequencyWeights([[0, 0, 0, 1], [0, 2, 2, 255]], 3);
    const f = [4 / 7, 1 / 4, 2 / 3];
    const median = 4 / 7;
    w.forEach((v, c) => expect(v).toBeCloseTo(median / f[c]!, 12));
  });

  it('gives an unseen class weight 0 and rejects an unlabelled dataset', () => {
    expect(medianFrequencyWeights([[0, 1, 1]], 3)[2]).toBe(0);
    expect(() => medianFrequencyWeights([[255, 255]], 2)).toThrow(/no labelled pixels/);
  });
});

describe('U-Net weight map (eq. 2)', () => {
  it('adds w0 exp(-(d1+d2)^2 / 2 sigma^2) on background between two cells', () => {
    // 1 x 5 row: cell, background, background, background, cell
    const labels = [1, 0, 0, 0, 1];
    const w = unetWeightMap(labels, 5, 1, { classWeights: [1, 1] });
    // pixel 1: d1 = 1 (left cell), d2 = 3 (right cell); pixel 2: 2 and 2
    const term = (d1: number, d2: number) => 10 * Math.exp(-((d1 + d2) ** 2) / 50);
    expect(w[0]).toBeCloseTo(1, 6);
    expect(w[1]).toBeCloseTo(1 + term(1, 3), 5);
    expect(w[2]).toBeCloseTo(1 + term(2, 2), 5);
    expect(w[3]).toBeCloseTo(1 + term(3, 1), 5);
    expect(w[4]).toBeCloseTo(1, 6);
  });

  it('uses Euclidean distances in 2-D and balances class frequencies by default', () => {
    // 3 x 3, cells at the two top corners; the centre pixel is sqrt(2) from each
    const labels = [1, 0, 1, 0, 0, 0, 0, 0, 0];
    const w = unetWeightMap(labels, 3, 3);
    // default w_c: 9 px, 2 classes present: cell 9 / (2*2) = 2.25, background 9 / (2*7)
    expect(w[0]).toBeCloseTo(2.25, 6);
    const bg = 9 / 14;
    expect(w[4]).toBeCloseTo(bg + 10 * Math.exp(-((2 * Math.SQRT2) ** 2) / 50), 5);
    // one cell only: no border term
    const single = unetWeightMap([1, 0, 0, 0], 2, 2, { classWeights: [1, 1] });
    expect(Array.from(single)).toEqual([1, 1, 1, 1]);
  });

  it('equals a brute-force evaluation of eq. 2 on many cells to within the 1e-6 cut-off', () => {
    // 80 x 60 map: random discs of cells (some touching) on background.
    const W = 80;
    const H = 60;
    const labels = new Uint8Array(W * H);
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let c = 0; c < 14; c++) {
      const cx = rnd() * W;
      const cy = rnd() * H;
      const r = 3 + rnd() * 6;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) labels[y * W + x] = 1;
    }
    // Cells: 4-connected components, found by flood fill here.
    const comp = new Int32Array(W * H);
    let count = 0;
    for (let i = 0; i < W * H; i++) {
      if (labels[i] !== 1 || comp[i]) continue;
      comp[i] = ++count;
      const stack = [i];
      while (stack.length) {
        const p = stack.pop()!;
        const x = p % W;
        const y = Math.floor(p / W);
        for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]] as const) {
          const q = ny * W + nx;
          if (nx >= 0 && ny >= 0 && nx < W && ny < H && labels[q] === 1 && !comp[q]) {
            comp[q] = count;
            stack.push(q);
          }
        }
      }
    }
    expect(count).toBeGreaterThan(5);
    const w = unetWeightMap(labels, W, H, { classWeights: [1, 1] });
    let maxErr = 0;
    for (let i = 0; i < W * H; i++) {
      let want = 1;
      if (labels[i] === 0) {
        const dist = new Array(count).fill(Infinity);
        for (let j = 0; j < W * H; j++) {
          if (!comp[j]) continue;
          const d = Math.hypot((i % W) - (j % W), Math.floor(i / W) - Math.floor(j / W));
          if (d < dist[comp[j]! - 1]) dist[comp[j]! - 1] = d;
        }
        dist.sort((a, b) => a - b);
        want += 10 * Math.exp(-((dist[0] + dist[1]) ** 2) / 50);
      }
      maxErr = Math.max(maxErr, Math.abs(w[i]! - want));
    }
    expect(maxErr).toBeLessThan(2e-6);
  });
});

describe('soft Dice and auxiliary losses', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it('soft Dice matches a hand computation and ignores ignored pixels', () => {
    // logits chosen so softmax is (0.5, 0.5) everywhere; labels [0, 1, 255]
    const logits = tf.zeros([1, 1, 3, 2]) as tf.Tensor4D;
    const labels = tf.tensor3d([0, 1, 255], [1, 1, 3], 'int32');
    // class 0: inter 0.5, sum p 1.0 (two valid px), sum g 1 -> (1 + 1) / (2 + 1); class 1 the same
    const loss = softDiceLoss(logits, labels).dataSync()[0]!;
    expect(loss).toBeCloseTo(1 - 2 / 3, 6);
    tf.dispose([logits, labels]);
  });

  it('adds auxiliary losses with their weights', () => {
    const total = withAuxiliary(tf.scalar(1.5), [{ loss: tf.scalar(2), weight: 0.4 }]).dataSync()[0]!;
    expect(total).toBeCloseTo(2.3, 6);
  });
});
