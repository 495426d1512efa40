/**
 * A paper's claims as data: which runs are compared, on which metric and
 * split, in which direction, and whether the two sides share weights (a
 * paired comparison: CRF on/off, two output strides of one net) or are
 * trained apart (two variants, a sample of seeds each).
 */
import { claimVerdict, formatP, meanSd, type MeanSd } from '../report/experiment.js';
import { studentTTwoSided } from '../report/statistics.js';

/** A run as result.json holds it: matched by its fields (`variant`, DeepLab's `init`) and read by a metric path. */
type RunLike = { seed: number; metrics: unknown; diverged?: string } & Record<string, unknown>;

/** The runs of one side: a variant name, or fields every run of the side has ({ variant: 'v3+', init: 'imagenet' }). */
export type Side = string | Record<string, unknown>;

export interface Claim {
  /** What the report calls it. */
  id: string;
  /** "a beats b". */
  a: Side;
  b: Side;
  /** A path in a run's metrics: 'test.miou', 'rand_error', 'val.os8.miou'. */
  metric: string;
  /** For a paired claim, the path of b's value when it differs from `metric` (same runs, another readout: 'test.crf.miou'). */
  metricB?: string;
  lowerIsBetter?: boolean;
  /** The two sides are readouts of the same trained nets, seed by seed. */
  paired: boolean;
  /** Values are multiplied by this before they are stated (100: percent). */
  scale?: number;
  digits?: number;
  unit?: string;
}

const matches = (r: RunLike, side: Side) => (typeof side === 'string' ? r.variant === side : Object.entries(side).every(([k, v]) => r[k] === v));

function read(metrics: unknown, dotted: string): number | undefined {
  let v: unknown = metrics;
  for (const k of dotted.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' ? v : undefined;
}

/** One side's values, seed by seed (runs that diverged or lack the metric left out). */
export function sideValues(runs: RunLike[], side: Side, metric: string, scale = 1): { seed: number; value: number }[] {
  return runs
    .filter((r) => matches(r, side) && !r.diverged)
    .map((r) => ({ seed: r.seed, value: read(r.metrics, metric) }))
    .filter((x): x is { seed: number; value: number } => x.value !== undefined)
    .map((x) => ({ seed: x.seed, value: scale * x.value }));
}

/** A side's mean ± sd over seeds. */
export function sideStats(runs: RunLike[], side: Side, metric: string, scale = 1): MeanSd {
  return meanSd(sideValues(runs, side, metric, scale).map((x) => x.value));
}

/** Whether the runs hold both sides of the claim (a profile may not run one). */
export const claimRan = (runs: RunLike[], c: Claim) => sideValues(runs, c.a, c.metric).length > 0 && sideValues(runs, c.b, c.metricB ?? c.metric).length > 0;

/**
 * The verdict phrase of a claim: core's claimVerdict (Welch over seeds) for
 * runs trained apart; for a paired claim, the paired t-test over the seeds
 * both sides have (the seeds' own spread cancels out of the difference).
 */
export function judgeClaim(runs: RunLike[], c: Claim): string {
  const scale = c.scale ?? 1;
  const digits = c.digits ?? 2;
  if (!c.paired) return claimVerdict(sideStats(runs, c.a, c.metric, scale), sideStats(runs, c.b, c.metricB ?? c.metric, scale), { lowerIsBetter: c.lowerIsBetter, digits, unit: c.unit });
  const b = new Map(sideValues(runs, c.b, c.metricB ?? c.metric, scale).map((x) => [x.seed, x.value]));
  const pairs = sideValues(runs, c.a, c.metric, scale).filter((x) => b.has(x.seed)).map((x) => [x.value, b.get(x.seed)!] as const);
  const d = meanSd(pairs.map(([x, y]) => x - y));
  const gap = d.mean;
  const better = c.lowerIsBetter ? gap < 0 : gap > 0;
  const numbers = `${meanSd(pairs.map((p) => p[0])).mean.toFixed(digits)} vs ${meanSd(pairs.map((p) => p[1])).mean.toFixed(digits)}, paired difference ${gap >= 0 ? '+' : ''}${gap.toFixed(digits)}${c.unit ?? ''}`;
  if (d.n < 2) return `not tested: ${d.n} paired seed${d.n === 1 ? '' : 's'} (${numbers}; the difference ${better ? 'is' : 'is not'} in the claimed direction)`;
  const sd = d.std;
  const t = sd === 0 ? (gap === 0 ? 0 : Math.sign(gap) * Infinity) : gap / (sd / Math.sqrt(d.n));
  const p = sd === 0 ? (gap === 0 ? 1 : 0) : studentTTwoSided(t, d.n - 1);
  const stats = `${numbers} over ${d.n} seeds; paired t = ${Number.isFinite(t) ? t.toFixed(2) : String(t)}, ${formatP(p)}`;
  if (p < 0.05) return `${better ? 'held' : 'did not hold: the opposite held'} (${stats})`;
  return `not resolved, ${better ? 'in the claimed direction' : 'against the claim'} on the mean (${stats})`;
}
