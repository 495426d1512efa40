/** The Vega-Lite charts every replication report draws. */
import type { VegaLiteSpec } from './vega.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/**
 * One panel per metric: the mean over seeds as a bar, ±1 sd as a rule and
 * each seed as a dot, per variant (in `order` when given).
 */
export function seedSpreadChart(o: {
  title: string;
  rows: { variant: string; seed: number; metric: string; value: number }[];
  order?: string[];
  width?: number;
  height?: number;
}): VegaLiteSpec {
  const x = { field: 'variant', type: 'nominal', ...(o.order ? { sort: o.order } : {}) };
  return {
    $schema: SCHEMA,
    title: o.title,
    data: { values: o.rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: o.width ?? 160,
      height: o.height ?? 180,
      layer: [
        { mark: { type: 'bar', opacity: 0.35 }, encoding: { x: { ...x, title: null, axis: { labelAngle: -40 } }, y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: null } } },
        { mark: { type: 'errorbar', extent: 'stdev' }, encoding: { x, y: { field: 'value', type: 'quantitative' } } },
        { mark: { type: 'point', filled: true }, encoding: { x, y: { field: 'value', type: 'quantitative' }, color: { field: 'seed', type: 'nominal' } } },
      ],
    },
  } as VegaLiteSpec;
}

/** Training loss against iteration, a line per run (colour: variant). */
export function lossCurvesChart(o: { title: string; runs: { variant: string; seed: number; loss_curve: { iter: number; loss: number }[] }[]; logScale?: boolean }): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title: o.title,
    width: 520,
    height: 260,
    data: { values: o.runs.flatMap((r) => r.loss_curve.map((c) => ({ variant: r.variant, seed: r.seed, iter: c.iter, loss: c.loss }))) },
    mark: { type: 'line', opacity: 0.8 },
    encoding: {
      x: { field: 'iter', type: 'quantitative' },
      y: { field: 'loss', type: 'quantitative', ...(o.logScale ? { scale: { type: 'log' } } : {}) },
      color: { field: 'variant', type: 'nominal' },
      detail: { field: 'seed', type: 'nominal' },
    },
  } as VegaLiteSpec;
}
