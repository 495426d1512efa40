/**
 * Renders any Vega-Lite spec to SVG (vega's headless renderer, no canvas)
 * and the SVG to PNG (resvg) for markdown that wants a picture. Every
 * report in reports/ goes through here.
 */
import { atomicWriteFile } from '../io/atomic-write.js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';

export type VegaLiteSpec = TopLevelSpec;

/**
 * The spec with labels and titles never shortened: Vega-Lite cuts legend
 * and axis labels at 160-200 px with "…" by default, which hid the variant
 * names of long legends. The spec's own config wins where it sets a limit.
 */
export function readableChart<S extends object>(spec: S): S {
  const s = spec as S & { config?: Record<string, Record<string, unknown> | undefined> };
  const config = s.config ?? {};
  return {
    ...s,
    config: {
      ...config,
      legend: { labelLimit: 0, titleLimit: 0, ...config.legend },
      axis: { labelLimit: 0, titleLimit: 0, ...config.axis },
      header: { labelLimit: 0, titleLimit: 0, ...config.header },
    },
  };
}

export async function vegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  const { spec: compiled } = compile(readableChart(spec));
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, width?: number): Buffer {
  const png = new Resvg(svg, { background: 'white', ...(width ? { fitTo: { mode: 'width' as const, value: width } } : {}) }).render();
  return Buffer.from(png.asPng());
}

/** Writes spec.vl.json, spec.svg and (optionally) spec.png next to each other, each atomically. */
export async function writeChart(basePath: string, spec: VegaLiteSpec, o: { png?: boolean } = {}): Promise<{ spec: string; svg: string; png?: string }> {
  const put = atomicWriteFile;
  const svg = await vegaLiteToSvg(spec);
  await put(`${basePath}.vl.json`, JSON.stringify(readableChart(spec), null, 2));
  await put(`${basePath}.svg`, svg);
  if (o.png) await put(`${basePath}.png`, svgToPng(svg));
  return { spec: `${basePath}.vl.json`, svg: `${basePath}.svg`, ...(o.png ? { png: `${basePath}.png` } : {}) };
}
