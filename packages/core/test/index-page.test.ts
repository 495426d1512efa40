/**
 * reports/index.html. Without a browser: the page is self-contained (loads
 * nothing, links only files that exist, inlines vega and vega-lite) and
 * embeds every spec it renders. In headless Chromium (scripts/find-chromium.mjs
 * finds it; the root postinstall gets one): every chart renders, no page or
 * console error. The repository's own reports are rendered from a copy, and a
 * broken spec must show up as a failure (so the check can fail).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeChromium, findChromium } from '../../../scripts/find-chromium.mjs';
import { readableChart, writeReportsIndex } from '../src/index.js';

const REPORTS = path.resolve(import.meta.dirname, '../../../reports');
const work = mkdtempSync(path.join(tmpdir(), 'seg-index-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const browser = findChromium();
// Once per run: without a browser the page is still checked, only not rendered.
if (!browser.path) console.warn(`seg: ${describeChromium(browser)}`);

/** The page's DOM after its scripts ran, and Chromium's console lines. */
function openPage(file: string): { dom: string; console: string[] } {
  const profile = mkdtempSync(path.join(work, 'profile-'));
  const r = spawnSync(
    browser.path!,
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

/** Every chart spec under `dir` (overlays aside), relative to it. */
const specFiles = (dir: string, rel = ''): string[] =>
  readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() && d.name !== 'overlays' ? specFiles(dir, path.join(rel, d.name)) : d.name.endsWith('.vl.json') ? [path.join(rel, d.name)] : [],
  );

/**
 * What the page holds without running it: its markup (script bodies left
 * out), the embedded specs, and each chart placeholder's spec index and source file.
 */
function contents(html: string) {
  const markup = html.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>');
  const specs = JSON.parse(/<script type="application\/json" id="chart-specs">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '[]') as unknown[];
  const charts = [...markup.matchAll(/<div class="chart" data-chart="(\d+)" data-source="([^"]*)"><\/div>/g)].map((m) => ({ index: Number(m[1]), source: m[2]! }));
  return { markup, specs, charts };
}

/** The page loads nothing and its links lead to files that exist; returns the chart sources it embeds. */
function expectSelfContained(html: string, reportsDir: string): string[] {
  const { markup, specs, charts } = contents(html);
  // No external script, stylesheet, image, frame or import: every src is a data URI.
  for (const [, src] of markup.matchAll(/\ssrc="([^"]*)"/g)) expect(src).toMatch(/^data:/);
  expect(markup).not.toMatch(/<(link|iframe|object|embed|base)\b|\ssrcset=|@import|url\(/i);
  // The libraries the page script calls are inlined, not fetched.
  const require = createRequire(import.meta.url);
  for (const lib of ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js']) expect(html).toContain(readFileSync(require.resolve(lib), 'utf8').slice(0, 2000));
  // Anchors lead to sections of the page or to files that exist (other schemes, e.g. https:, leave the page).
  for (const [, href] of markup.matchAll(/<a href="([^"]*)"/g)) {
    if (href!.startsWith('#')) expect(markup).toContain(`id="${href!.slice(1)}"`);
    else if (!/^[a-z]+:/i.test(href!)) expect(existsSync(path.join(reportsDir, decodeURI(href!))), href).toBe(true);
  }
  // One placeholder per embedded spec, each spec the file it names (as rendered: labels kept whole).
  expect(charts.map((c) => c.index)).toEqual(specs.map((_, i) => i));
  for (const c of charts) expect(specs[c.index], c.source).toEqual(readableChart(JSON.parse(readFileSync(path.join(reportsDir, c.source), 'utf8'))));
  return charts.map((c) => c.source);
}

describe('reports/index.html', () => {
  it("renders every paper's charts and the benchmarks, with no console error, loading nothing", async () => {
    const copy = path.join(work, 'reports');
    cpSync(REPORTS, copy, { recursive: true });
    const file = await writeReportsIndex(copy);
    const html = readFileSync(file, 'utf8');
    for (const section of ['fcn', 'unet', 'segnet', 'deeplab', 'pspnet', 'bench']) expect(html).toContain(`<section id="${section}">`);
    expect(html).toContain('Latency');
    expect(html).toContain('pydensecrf');
    const charts = specFiles(copy).length;
    expect(charts).toBeGreaterThanOrEqual(12);
    // Every spec in reports/ is on the page, once.
    expect(expectSelfContained(html, copy).sort()).toEqual(specFiles(copy).sort());
    if (!browser.path) return;
    const page = openPage(file);
    // Every chart drew an SVG; nothing reached window.onerror or console.error.
    expect(summary(page.dom)).toEqual({ charts: `done ${charts}/${charts}`, rendered: Array(charts).fill('ok'), errors: '', svgs: charts });
    expect(page.console.filter((l) => /error|warn/i.test(l))).toEqual([]);
  }, 180_000);

  it('reports a chart that fails to render on the page (the check can fail)', async () => {
    const dir = path.join(work, 'broken');
    mkdirSync(path.join(dir, 'demo'), { recursive: true });
    writeFileSync(path.join(dir, 'demo', 'report.md'), '# Demo\n\n![good](good.png)\n\n![bad](bad.png)\n\n[results](results.json)\n');
    writeFileSync(path.join(dir, 'demo', 'results.json'), '{}\n');
    writeFileSync(path.join(dir, 'demo', 'good.vl.json'), JSON.stringify({ data: { values: [{ a: 1, b: 2 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } }));
    // A mark Vega-Lite does not know: compiling it throws in the page.
    writeFileSync(path.join(dir, 'demo', 'bad.vl.json'), JSON.stringify({ data: { values: [{ a: 1 }] }, mark: 'no-such-mark', encoding: { x: { field: 'a', type: 'quantitative' } } }));
    const file = await writeReportsIndex(dir);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('href="demo/results.json"');
    // The broken spec is embedded like the good one: only rendering it can tell.
    expect(expectSelfContained(html, dir)).toEqual(['demo/good.vl.json', 'demo/bad.vl.json']);
    if (!browser.path) return;
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
