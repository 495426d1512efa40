import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atomicWriteFile, selectProfile, slugify, svgToPng, vegaLiteToSvg, writeChart, type VegaLiteSpec } from '../src/index.js';

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

describe('replication helpers', () => {
  it('selectProfile picks SEG_PROFILE (default quick) and names the variable otherwise; slugify makes file names', () => {
    const profiles = { smoke: 1, quick: 2, full: 3 };
    expect(selectProfile(profiles, undefined)).toBe(2);
    expect(selectProfile(profiles, 'full')).toBe(3);
    expect(() => selectProfile(profiles, 'fast')).toThrow('SEG_PROFILE must be smoke, quick or full (got "fast").');
    expect(() => selectProfile(profiles, 'toString')).toThrow(/SEG_PROFILE must be/);
    expect(slugify('v2 ASPP-L + CRF')).toBe('v2-aspp-l-crf');
    expect(slugify('valid, weighted, elastic')).toBe('valid-weighted-elastic');
  });
});

describe('atomicWriteFile', () => {
  it('replaces a file whole, and leaves no temporary file when the rename fails', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seg-atomic-'));
    try {
      const file = path.join(dir, 'a.txt');
      await atomicWriteFile(file, 'one');
      await atomicWriteFile(file, 'two');
      expect(readFileSync(file, 'utf8')).toBe('two');
      // A folder in the way: the temporary file is written, the rename fails.
      mkdirSync(path.join(dir, 'taken'));
      await expect(atomicWriteFile(path.join(dir, 'taken'), 'x')).rejects.toThrow();
      expect(readdirSync(dir).sort()).toEqual(['a.txt', 'taken']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
