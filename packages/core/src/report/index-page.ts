/**
 * reports/index.html: every paper's report.md and the benchmark tables on one
 * self-contained page. It loads nothing: the Vega-Lite specs (*.vl.json) are
 * rendered in the page by vega and vega-lite, inlined from node_modules; the
 * overlays are inlined as small JPEGs. It opens from the file system.
 * Each replication and `pnpm bench` regenerate it (writeReportsIndex).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Marked, type Tokens } from 'marked';
import sharp from 'sharp';
import { atomicWriteFile } from '../io/atomic-write.js';
import { readableChart } from './vega.js';

/** The sections in reading order: the papers by year, then the benchmarks; other folders follow alphabetically. */
const ORDER = ['fcn', 'unet', 'segnet', 'deeplab', 'pspnet', 'bench'];
const NAMES: Record<string, string> = { fcn: 'FCN', unet: 'U-Net', segnet: 'SegNet', deeplab: 'DeepLab', pspnet: 'PSPNet', bench: 'Benchmarks' };

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A picture as a data URI, at most `width` pixels wide (JPEG; a chart's PNG is never used, its spec is). */
async function inlinePicture(file: string, width: number): Promise<string> {
  const jpeg = await sharp(file).resize({ width, withoutEnlargement: true }).flatten({ background: '#ffffff' }).jpeg({ quality: 82 }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

interface Section {
  id: string;
  html: string;
}

interface Charts {
  specs: unknown[];
}

/** The chart placeholder for a spec file; the page's script renders it. */
async function chartDiv(specFile: string, charts: Charts, label: string): Promise<string> {
  const spec = readableChart(JSON.parse(await readFile(specFile, 'utf8')));
  charts.specs.push(spec);
  return `<div class="chart" data-chart="${charts.specs.length - 1}" data-source="${escapeHtml(label)}"></div>`;
}

async function renderSection(dir: string, id: string, charts: Charts): Promise<Section | undefined> {
  const files = (await readdir(dir)).sort();
  const markdown = files.filter((f) => f.endsWith('.md')).sort((a, b) => (a === 'report.md' ? -1 : b === 'report.md' ? 1 : a.localeCompare(b)));
  if (!markdown.length) return undefined;
  const used = new Set<string>();
  // Images are resolved before marked renders (its renderer is synchronous): each gets a placeholder token.
  const pictures = new Map<string, string>();
  let n = 0;
  const parts: string[] = [];
  for (const md of markdown) {
    let text = await readFile(path.join(dir, md), 'utf8');
    const refs = [...text.matchAll(/!\[([^\]]*)\]\(([^)\s]+)\)/g)];
    for (const [whole, alt, ref] of refs) {
      if (/^[a-z]+:/i.test(ref!)) continue;
      const file = path.join(dir, ref!);
      const spec = file.replace(/\.(png|svg)$/, '.vl.json');
      // Closed at both ends, so that picture 1's key is not the start of picture 10's.
      const key = `segpicture${n++}x`;
      if (existsSync(spec)) {
        used.add(path.basename(spec));
        pictures.set(key, await chartDiv(spec, charts, `${id}/${path.relative(dir, spec)}`));
      } else if (existsSync(file)) {
        pictures.set(key, `<img alt="${escapeHtml(alt!)}" src="${await inlinePicture(file, 480)}">`);
      } else {
        pictures.set(key, `<em>(${escapeHtml(ref!)} is missing)</em>`);
      }
      text = text.replace(whole!, key);
    }
    const marked = new Marked({ gfm: true });
    marked.use({
      renderer: {
        // Relative links keep working from the file system (the page sits in reports/).
        link(token: Tokens.Link) {
          const href = /^[a-z]+:|^#/i.test(token.href) ? token.href : `${id}/${token.href}`;
          return `<a href="${escapeHtml(href)}">${this.parser.parseInline(token.tokens)}</a>`;
        },
      },
    });
    let html = await marked.parse(text);
    for (const [key, value] of pictures) html = html.split(key).join(value);
    parts.push(html.replace(/<h([1-5])/g, (_, level: string) => `<h${Number(level) + 1}`).replace(/<\/h([1-5])>/g, (_, level: string) => `</h${Number(level) + 1}>`));
  }
  // Charts the markdown does not show (e.g. the bench's latency chart).
  for (const f of files.filter((f) => f.endsWith('.vl.json') && !used.has(f))) parts.push(await chartDiv(path.join(dir, f), charts, `${id}/${f}`));
  // Every overlay, small.
  const overlayDir = path.join(dir, 'overlays');
  if (existsSync(overlayDir) && (await stat(overlayDir)).isDirectory()) {
    const overlays = (await readdir(overlayDir)).filter((f) => f.endsWith('.png')).sort();
    if (overlays.length) {
      const figures = await Promise.all(
        overlays.map(async (f) => `<figure><img alt="${escapeHtml(f)}" src="${await inlinePicture(path.join(overlayDir, f), 320)}"><figcaption>${escapeHtml(f)}</figcaption></figure>`),
      );
      parts.push(`<details><summary>All overlays (${overlays.length}, ${escapeHtml(id)}/overlays/)</summary><div class="gallery">${figures.join('')}</div></details>`);
    }
  }
  return { id, html: parts.join('\n') };
}

/** The inlined libraries, resolved from @seg/core's own dependencies. */
function libraries(): string {
  const require = createRequire(import.meta.url);
  return ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js'].map((f) => require.resolve(f)).map((f) => `<script>\n${requireText(f)}\n</script>`).join('\n');
}
const requireText = (file: string) => readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');

/**
 * The page script: every chart renders to SVG; failures and console errors
 * are collected in #page-errors, and body[data-charts] says "done" with the
 * number rendered (what test/index-page.test.ts reads in headless Chromium).
 */
const PAGE_SCRIPT = `
(async () => {
  const specs = JSON.parse(document.getElementById('chart-specs').textContent);
  const divs = [...document.querySelectorAll('.chart')];
  let rendered = 0;
  for (const div of divs) {
    try {
      const spec = specs[Number(div.dataset.chart)];
      const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'svg', container: div, hover: true });
      await view.runAsync();
      if (!div.querySelector('svg')) throw new Error('no svg');
      div.dataset.rendered = 'ok';
      rendered++;
    } catch (err) {
      div.dataset.rendered = 'failed';
      window.__segErrors.push(div.dataset.source + ': ' + (err && err.message ? err.message : String(err)));
    }
  }
  document.getElementById('page-errors').textContent = window.__segErrors.join('\\n');
  document.body.dataset.charts = 'done ' + rendered + '/' + divs.length;
})();
`;

const ERROR_CAPTURE = `
window.__segErrors = [];
window.addEventListener('error', (e) => window.__segErrors.push('error: ' + e.message));
window.addEventListener('unhandledrejection', (e) => window.__segErrors.push('rejection: ' + (e.reason && e.reason.message ? e.reason.message : String(e.reason))));
const segConsoleError = console.error.bind(console);
console.error = (...args) => { window.__segErrors.push('console.error: ' + args.join(' ')); segConsoleError(...args); };
`;

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d1d1f; }
nav { position: sticky; top: 0; background: #f4f4f6; border-bottom: 1px solid #ddd; padding: 8px 24px; z-index: 1; }
nav a { margin-right: 18px; }
main { max-width: 1280px; padding: 0 24px 48px; }
section { border-bottom: 1px solid #ddd; padding-bottom: 24px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 13px; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f6; }
code { background: #f4f4f6; padding: 0 3px; }
.chart { margin: 12px 0; overflow-x: auto; }
.gallery { display: flex; flex-wrap: wrap; gap: 10px; }
figure { margin: 0; font-size: 12px; }
img { max-width: 100%; }
#page-errors:empty { display: none; }
#page-errors { color: #b00020; }
`;

/** Writes `reportsDir`/index.html from every report folder in it; returns the file's path. */
export async function writeReportsIndex(reportsDir: string): Promise<string> {
  const dirs = (await readdir(reportsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  dirs.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
  const charts: Charts = { specs: [] };
  const sections: Section[] = [];
  for (const d of dirs) {
    const s = await renderSection(path.join(reportsDir, d), d, charts);
    if (s) sections.push(s);
  }
  const json = JSON.stringify(charts.specs).replace(/</g, '\\u003c');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>seg: replication reports and benchmarks</title>
<script>${ERROR_CAPTURE}</script>
<style>${STYLE}</style>
</head>
<body>
<nav><strong>seg</strong> &nbsp; ${sections.map((s) => `<a href="#${s.id}">${escapeHtml(NAMES[s.id] ?? s.id)}</a>`).join('')}</nav>
<main>
<pre id="page-errors"></pre>
<p>Every replication's report (each paper's numbers beside ours), its charts and overlays, and the latency and CRF benchmarks, as the files in reports/ hold them. Regenerated by every <code>replicate</code> and by <code>pnpm bench</code>; this page loads nothing from the network.</p>
${sections.map((s) => `<section id="${s.id}">\n${s.html}\n</section>`).join('\n')}
</main>
<script type="application/json" id="chart-specs">${json}</script>
${libraries()}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
  const file = path.join(reportsDir, 'index.html');
  await atomicWriteFile(file, html);
  return file;
}
