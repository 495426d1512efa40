import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { svgToPng, vegaLiteToSvg, writeChart, type VegaLiteSpec } from '../src/index.js';

const spec: VegaLiteSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  data: { values: [{ variant: 'weighted', miou: 0.71 }, { variant: 'plain', miou: 0.64 }] },
  mark: 'bar',
  encoding: { x: { field: 'variant', type: 'nominal' }, y: { field: 'miou', type: 'quantitative' } },
};

describe('Vega-Lite rendering', () => {
  it('renders a spec to SVG with its data and to a PNG', async () => {
    const svg = await vegaLiteToSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('weighted');
    const png = svgToPng(svg);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('writes the spec, SVG and PNG side by side', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seg-chart-'));
    try {
      const out = await writeChart(path.join(dir, 'miou'), spec, { png: true });
      expect(JSON.parse(readFileSync(out.spec, 'utf8')).mark).toBe('bar');
      expect(readFileSync(out.svg, 'utf8')).toContain('<svg');
      expect(readFileSync(out.png!).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
