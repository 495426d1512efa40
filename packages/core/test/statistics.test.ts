import { describe, expect, it } from 'vitest';
import { claimVerdict, compareSeeds, effectSize, incompleteBeta, logGamma, meanSd, permutationTest, pooledSd, seedsNeeded, studentTQuantileTwoSided, studentTTwoSided, verdictMethod, welchTTest } from '../src/index.js';

describe('distributions (closed forms)', () => {
  it('ln Γ and the incomplete beta function', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(10.5)).toBeCloseTo(Math.log(1133278.3889487856), 9);
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.7, 3, 1)).toBeCloseTo(0.343, 12);
    expect(incompleteBeta(0.2, 1, 4)).toBeCloseTo(1 - 0.8 ** 4, 12);
  });

  it("Student's t two-sided tail: Cauchy (df 1), df 2 and df 4 closed forms, the normal limit", () => {
    for (const t of [0.3, 1, 2.5, 10]) {
      expect(studentTTwoSided(t, 1)).toBeCloseTo(1 - (2 * Math.atan(t)) / Math.PI, 10);
      expect(studentTTwoSided(-t, 2)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
      const u = t / Math.sqrt(1 + (t * t) / 4);
      const cdf4 = 0.5 + (3 / 8) * u * (1 - (t * t) / (12 * (1 + (t * t) / 4)));
      expect(studentTTwoSided(t, 4)).toBeCloseTo(2 * (1 - cdf4), 10);
    }
    expect(studentTTwoSided(1.959964, 1e7)).toBeCloseTo(0.05, 5);
    expect(studentTTwoSided(0, 3)).toBeCloseTo(1, 12);
    expect(studentTQuantileTwoSided(0.5, 1)).toBeCloseTo(1, 8);
    expect(studentTQuantileTwoSided(0.05, 2)).toBeCloseTo(4.302653, 5);
  });
});

describe('two-sample tests over seeds (hand-computed cases)', () => {
  it("Welch's t: equal variances give the pooled df; unequal ones Welch–Satterthwaite's", () => {
    // [1,3] vs [4,6]: var 2 each, se² = 2, t = -3/√2, df = 2; p = 1 - |t|/√(2 + t²)
    const w = welchTTest([1, 3], [4, 6]);
    expect(w.t).toBeCloseTo(-3 / Math.SQRT2, 12);
    expect(w.df).toBeCloseTo(2, 12);
    expect(w.p).toBeCloseTo(1 - 3 / Math.SQRT2 / Math.sqrt(2 + 4.5), 10);
    // [0,2,4] (var 4) vs [1,1.5,2] (var 0.25): se² = 4/3 + 1/12 = 17/12; df = se²² / ((4/3)²/2 + (1/12)²/2)
    const u = welchTTest([0, 2, 4], [1, 1.5, 2]);
    expect(u.t).toBeCloseTo(0.5 / Math.sqrt(17 / 12), 12);
    expect(u.df).toBeCloseTo((17 / 12) ** 2 / ((16 / 9) / 2 + (1 / 144) / 2), 10);
    // zero spread on both sides
    expect(welchTTest([1, 1], [1, 1]).p).toBe(1);
    expect(welchTTest([2, 2], [1, 1]).p).toBe(0);
    expect(() => welchTTest([1], [2, 3])).toThrow('at least 2 values per side');
  });

  it('exact permutation test: 3 vs 3 fully separated gives 2/20, a partial overlap 4/20, identical samples 1', () => {
    expect(permutationTest([1, 2, 3], [4, 5, 6])).toEqual({ p: 0.1, relabellings: 20 });
    expect(permutationTest([1, 2], [1, 2]).p).toBe(1);
    // [1,2,4] vs [3,5,6]: diff = (2s - 21)/3 for a's sum s; |diff| >= 7/3 for s <= 7 ({1,2,3}, {1,2,4}) or s >= 14 ({3,5,6}, {4,5,6}): 4 of 20
    expect(permutationTest([1, 2, 4], [3, 5, 6]).p).toBeCloseTo(4 / 20, 12);
  });

  it('effect size in pooled sd, and seeds needed (α 0.05, power 0.8; Cohen 1988: d 0.5 -> 64, 0.8 -> 26, 1 -> 17)', () => {
    expect(pooledSd([1, 2, 3], [4, 5, 6])).toBeCloseTo(1, 12);
    expect(effectSize([1, 2, 3], [4, 5, 6])).toBeCloseTo(-3, 12);
    // pooled var = (2·4 + 2·0.25) / 4
    expect(pooledSd([0, 2, 4], [1, 1.5, 2])).toBeCloseTo(Math.sqrt(8.5 / 4), 12);
    expect(Math.abs(seedsNeeded(0.5) - 64)).toBeLessThanOrEqual(1);
    expect(Math.abs(seedsNeeded(-0.8) - 26)).toBeLessThanOrEqual(1);
    expect(Math.abs(seedsNeeded(1) - 17)).toBeLessThanOrEqual(1);
    expect(seedsNeeded(0)).toBe(Infinity);
    const c = compareSeeds([1, 2, 3], [4, 5, 6]);
    expect(c.difference).toBe(-3);
    expect(c.permutationP).toBe(0.1);
    expect(c.welch.df).toBeCloseTo(4, 12);
  });
});

describe('claimVerdict', () => {
  it('held / not resolved / did not hold from Welch at 0.05, with effect, p-values and seeds needed', () => {
    const held = claimVerdict(meanSd([10, 11, 12]), meanSd([4, 5, 6]), { unit: ' points' });
    expect(held).toMatch(/^held \(11\.00 vs 5\.00, difference \+6\.00 points = \+6\.0 pooled sd over 3 and 3 seeds; Welch t = 7\.35, p = 0\.0018; permutation p = 0\.10\)$/);
    expect(claimVerdict(meanSd([20, 21, 22]), meanSd([1, 2, 3]))).toMatch(/Welch t = 23\.27, p < 0\.001;/);
    // d = 3.08: the power calculation asks for 3 seeds, which ran (Welch p = 0.063 with df ≈ 2), so one more is said.
    expect(seedsNeeded(effectSize([10, 15, 20], [4, 4.1, 4.2]))).toBe(3);
    expect(claimVerdict(meanSd([10, 15, 20]), meanSd([4, 4.1, 4.2]))).toMatch(/= \+3\.1 pooled sd .* p = 0\.063; .*about 4 seeds per variant/);
    const unresolved = claimVerdict(meanSd([10, 12, 14]), meanSd([9, 11, 13]));
    expect(unresolved).toMatch(/^not resolved, in the claimed direction on the mean \(.* = \+0\.5 pooled sd .*; about (6[3-5]) seeds per variant would resolve a gap this size\)$/);
    expect(claimVerdict(meanSd([0.2, 0.21, 0.19]), meanSd([0.3, 0.31, 0.29]), { lowerIsBetter: true })).toMatch(/^held \(/);
    expect(claimVerdict(meanSd([4, 5, 6]), meanSd([10, 11, 12]))).toMatch(/^did not hold: the opposite held \(/);
    expect(claimVerdict(meanSd([9, 11, 13]), meanSd([10, 12, 14]))).toMatch(/^not resolved, against the claim on the mean/);
    expect(claimVerdict(meanSd([1, 2, 3]), meanSd([1, 2, 3]))).toMatch(/no practical number of seeds/);
    expect(claimVerdict(meanSd([10]), meanSd([8, 9, 10]))).toMatch(/^not tested: 1 seed on one side \(10\.00 vs 9\.00, difference \+1\.00; the mean is in the claimed direction\)$/);
  });
});

describe('verdictMethod', () => {
  it("states the permutation test's floor, 2 / C(2n, n), for the seeds a side", () => {
    // 3 v 3: 20 arrangements, the two extremes give p = 0.1; 2 v 2: 2/6; 5 v 5: 2/252.
    expect(verdictMethod({ seeds: 3 })).toContain('cannot go below 0.1 with 3 seeds a side');
    expect(verdictMethod({ seeds: 2 })).toContain('cannot go below 0.33 with 2 seeds a side');
    expect(verdictMethod({ seeds: 5 })).toContain('cannot go below 0.0079 with 5 seeds a side');
    expect(verdictMethod({ seeds: 3, scope: 'on val' })).toMatch(/^Verdicts: Welch's t-test over seeds at α 0\.05 \(core's report\/statistics\.ts\), on val;/);
  });
});
