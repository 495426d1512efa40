/**
 * reports/index.html in headless Chromium (Debian's `chromium`; .ci/run
 * installs it): every chart renders, no page or console error, nothing is
 * loaded from the network. The repository's own reports are rendered from a
 * copy, and a broken spec must show up as a failure (so the check can fail).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReportsIndex } from '../src/index.js';

const REPORTS = path.resolve(import.meta.dirname, '../../../reports');
const work = mkdtempSync(path.join(tmpdir(), 'seg-index-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function chromium(): string {
  for (const bin of ['chromium', 'chromium-browser']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0) return bin;
  }
  throw new Error("Headless Chromium is needed for this test: install Debian's chromium package (apt-get install chromium); .ci/run does.");
}

/** The page's DOM after its scripts ran, and Chromium's console lines. */
function openPage(file: string): { dom: string; console: string[] } {
  const profile = mkdtempSync(path.join(work, 'profile-'));
  const r = spawnSync(
    chromium(),
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--virtual-time-budget=15000', '--dump-dom', `file://${file}`],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 2 ** 20 },
  );
  if (r.status !== 0) throw new Error(`chromium exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  return { dom: r.stdout, console: r.stderr.split('\n').filter((l) => /CONSOLE/.test(l)) };
}

/** What the page's script left in the DOM: body[data-charts], each chart's data-rendered, #page-errors, SVG mark groups. */
function summary(dom: string) {
  return {
    charts: /<body[^>]*data-charts="([^"]*)"/.exec(dom)?.[1] ?? 'missing',
    rendered: [...dom.matchAll(/data-rendered="([^"]*)"/g)].map((m) => m[1]),
    errors: /<pre id="page-errors">([^<]*)<\/pre>/.exec(dom)?.[1] ?? 'missing',
    svgs: dom.match(/<svg[^>]*class="marks"/g)?.length ?? 0,
  };
}

const specFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() && d.name !== 'overlays' ? specFiles(path.join(dir, d.name)) : d.name.endsWith('.vl.json') ? [d.name] : []));

describe('reports/index.html', () => {
  it("renders every paper's charts and the benchmarks, with no console error, loading nothing", async () => {
    const copy = path.join(work, 'reports');
    cpSync(REPORTS, copy, { recursive: true });
    const file = await writeReportsIndex(copy);
    const html = readFileSync(file, 'utf8');
    // Self-contained: no external script, stylesheet, image or frame.
    expect(html).not.toMatch(/<(script|img|iframe)[^>]+src="(https?:)?\/\//i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    for (const section of ['fcn', 'unet', 'segnet', 'deeplab', 'pspnet', 'bench']) expect(html).toContain(`<section id="${section}">`);
    expect(html).toContain('Latency');
    expect(html).toContain('pydensecrf');
    const charts = specFiles(copy).length;
    expect(charts).toBeGreaterThanOrEqual(12);
    const page = openPage(file);
    // Every chart drew an SVG; nothing reached window.onerror or console.error.
    expect(summary(page.dom)).toEqual({ charts: `done ${charts}/${charts}`, rendered: Array(charts).fill('ok'), errors: '', svgs: charts });
    expect(page.console.filter((l) => /error|warn/i.test(l))).toEqual([]);
  }, 180_000);

  it('reports a chart that fails to render on the page (the check can fail)', async () => {
    const dir = path.join(work, 'broken');
    mkdirSync(path.join(dir, 'demo'), { recursive: true });
    writeFileSync(path.join(dir, 'demo', 'report.md'), '# Demo\n\n![good](good.png)\n\n![bad](bad.png)\n\n[results](results.json)\n');
    writeFileSync(path.join(dir, 'demo', 'good.vl.json'), JSON.stringify({ data: { values: [{ a: 1, b: 2 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } }));
    // A mark Vega-Lite does not know: compiling it throws in the page.
    writeFileSync(path.join(dir, 'demo', 'bad.vl.json'), JSON.stringify({ data: { values: [{ a: 1 }] }, mark: 'no-such-mark', encoding: { x: { field: 'a', type: 'quantitative' } } }));
    const file = await writeReportsIndex(dir);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('href="demo/results.json"');
    const s = summary(openPage(file).dom);
    expect(s.charts).toBe('done 1/2');
    expect(s.rendered).toEqual(['ok', 'failed']);
    expect(s.errors).toMatch(/^demo\/bad\.vl\.json: /);
  }, 180_000);
});

describe('reports/index.html pictures', () => {
  it('inlines every picture of a report, twelve of them included (no key is the prefix of another)', async () => {
    const dir = path.join(work, 'pictures');
    mkdirSync(path.join(dir, 'demo'), { recursive: true });
    const { default: sharp } = await import('sharp');
    const names = Array.from({ length: 12 }, (_, i) => `p${i}.png`);
    for (const [i, f] of names.entries()) await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 20 * i, g: 0, b: 0 } } }).png().toFile(path.join(dir, 'demo', f));
    writeFileSync(path.join(dir, 'demo', 'report.md'), `# Demo\n\n${names.map((f) => `![${f}](${f})`).join(' ')}\n`);
    const html = readFileSync(await writeReportsIndex(dir), 'utf8');
    expect(html).not.toMatch(/segpicture/);
    expect(names.map((f) => html.includes(`<img alt="${f}" src="data:image/jpeg;base64,`))).toEqual(names.map(() => true));
  });
});

describe('readable charts', () => {
  it('keeps long legend and axis labels whole (no "…")', async () => {
    const { vegaLiteToSvg } = await import('../src/index.js');
    const long = 'FCN-8s at-once, fixed x2 upsampling, a long variant name';
    const svg = await vegaLiteToSvg({
      data: { values: [{ v: long, x: 1, y: 2 }] },
      mark: 'point',
      encoding: { x: { field: 'v', type: 'nominal' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'v', type: 'nominal' } },
    });
    expect(svg.includes('…')).toBe(false);
    // The axis label and the legend entry, whole.
    expect(svg.split(`>${long}<`).length - 1).toBe(2);
  });
});
