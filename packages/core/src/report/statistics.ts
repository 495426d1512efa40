/**
 * Two-sample statistics over seeds, for the replications' verdicts: the
 * effect in units of the pooled seed standard deviation (Cohen's d), Welch's
 * t-test, an exact permutation test, and roughly how many seeds per variant a
 * two-sided test at α 0.05 with 80% power needs to resolve an effect of a
 * given size. Implemented here (no statistics package) and checked against
 * closed forms in test/statistics.test.ts.
 */

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: number[]) => {
  const m = mean(v);
  return v.length > 1 ? v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) : 0;
};

/** ln Γ(x), Lanczos (g = 7, n = 9); relative error below 1e-13 for x > 0. */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let s = c[0]!;
  for (let i = 1; i < 9; i++) s += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(|T| ≥ |t|) for Student's t with `df` (real, > 0) degrees of freedom. */
export function studentTTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The t with P(|T| ≥ t) = p (bisection on the two-sided tail). */
export function studentTQuantileTwoSided(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (studentTTwoSided(hi, df) > p) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (studentTTwoSided(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface WelchResult {
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/**
 * Welch's unequal-variance t-test of mean(a) = mean(b). Both samples need two
 * values. When both have zero spread the test is degenerate: p is 1 for equal
 * means and 0 otherwise.
 */
export function welchTTest(a: number[], b: number[]): WelchResult {
  if (a.length < 2 || b.length < 2) throw new Error(`Welch's t-test needs at least 2 values per side (got ${a.length} and ${b.length}).`);
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  const diff = mean(a) - mean(b);
  const se2 = va + vb;
  if (se2 === 0) return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: a.length + b.length - 2, p: diff === 0 ? 1 : 0 };
  const t = diff / Math.sqrt(se2);
  const df = se2 ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { t, df, p: studentTTwoSided(t, df) };
}

/**
 * Exact two-sided permutation test of the difference in means: the share of
 * all C(n_a + n_b, n_a) relabellings whose |difference| is at least the
 * observed one. With 3 seeds a side the smallest possible p is 2/20 = 0.1.
 */
export function permutationTest(a: number[], b: number[]): { p: number; relabellings: number } {
  const all = [...a, ...b];
  const n = all.length;
  const k = a.length;
  if (k === 0 || b.length === 0) throw new Error('A permutation test needs values on both sides.');
  if (n > 24) throw new Error(`The exact permutation test enumerates every relabelling; ${n} values are too many.`);
  const total = all.reduce((s, x) => s + x, 0);
  const observed = Math.abs(mean(a) - mean(b));
  const eps = 1e-12 * Math.max(1, Math.abs(observed));
  let extreme = 0;
  let count = 0;
  const pick = (start: number, left: number, sum: number) => {
    if (left === 0) {
      count++;
      if (Math.abs(sum / k - (total - sum) / (n - k)) >= observed - eps) extreme++;
      return;
    }
    for (let i = start; i <= n - left; i++) pick(i + 1, left - 1, sum + all[i]!);
  };
  pick(0, k, 0);
  return { p: extreme / count, relabellings: count };
}

/** The pooled sample standard deviation of two samples (n - 1 weighting). */
export function pooledSd(a: number[], b: number[]): number {
  const dfs = a.length + b.length - 2;
  if (dfs <= 0) return NaN;
  return Math.sqrt(((a.length - 1) * variance(a) + (b.length - 1) * variance(b)) / dfs);
}

/** (mean(a) - mean(b)) / pooled sd: the effect in seed-sd units (Cohen's d). */
export function effectSize(a: number[], b: number[]): number {
  const sd = pooledSd(a, b);
  const diff = mean(a) - mean(b);
  if (sd === 0) return diff === 0 ? 0 : Math.sign(diff) * Infinity;
  return diff / sd;
}

/**
 * Seeds per variant for a two-sided two-sample t-test at level `alpha` to
 * detect an effect of |d| pooled sds with the given power: the smallest n
 * with n >= 2 (t_{α/2, 2n-2} + t_{β, 2n-2})² / d² (the normal formula with
 * t quantiles, good to about one seed). Infinity for d = 0.
 */
export function seedsNeeded(d: number, o: { alpha?: number; power?: number } = {}): number {
  const alpha = o.alpha ?? 0.05;
  const power = o.power ?? 0.8;
  const e = Math.abs(d);
  if (!(e > 0)) return Infinity;
  if (!Number.isFinite(e)) return 2;
  for (let n = 2; n <= 100000; n++) {
    const df = 2 * n - 2;
    const ta = studentTQuantileTwoSided(alpha, df);
    const tb = studentTQuantileTwoSided(2 * (1 - power), df);
    if (n >= (2 * (ta + tb) ** 2) / (e * e)) return n;
  }
  return Infinity;
}

export interface Comparison {
  /** mean(a) - mean(b). */
  difference: number;
  /** difference / pooled sd. */
  effect: number;
  welch: WelchResult;
  permutationP: number;
  /** Seeds per variant that would resolve an effect this size (α 0.05, power 0.8). */
  seedsNeeded: number;
}

/** Everything a verdict states about "a vs b" over seeds (each side needs 2 values). */
export function compareSeeds(a: number[], b: number[]): Comparison {
  const effect = effectSize(a, b);
  return { difference: mean(a) - mean(b), effect, welch: welchTTest(a, b), permutationP: permutationTest(a, b).p, seedsNeeded: seedsNeeded(effect) };
}
