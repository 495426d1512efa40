/**
 * Finds a Chrome or Chromium for the tests that open a page headless (the
 * reports/index.html test). Installs nothing: scripts/setup-chromium.mjs,
 * the root postinstall, gets one where none is here and records what it
 * found in node_modules/.cache/seg-chromium/found.json.
 *
 * Looked for in this order:
 *   1. CHROME_PATH. When set, it is the only one tried: an explicit choice is
 *      not silently replaced by another browser (so CHROME_PATH=/nonexistent
 *      hides them all, to run the tests as without one). turbo passes only
 *      declared variables to tests, so for `pnpm test` set it at install
 *      (or `pnpm setup:chromium`), which records it.
 *   2. The system's: chromium, chromium-browser, google-chrome,
 *      google-chrome-stable and chrome on PATH, then the usual install paths.
 *   3. A Puppeteer download (PUPPETEER_CACHE_DIR or ~/.cache/puppeteer).
 *   4. A Playwright download (PLAYWRIGHT_BROWSERS_PATH or ~/.cache/ms-playwright).
 *   5. The Chrome for Testing headless shell that setup-chromium.mjs unpacked.
 * Each candidate must answer --version, so a stub (Ubuntu's chromium snap
 * wrapper without snapd) does not count. A test (findChromium) takes the
 * recorded browser before searching, while that file is still there.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = join(root, 'node_modules', '.cache', 'seg-chromium');

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

/** Where browsers are installed when they are not on PATH. */
export function systemPaths(env = process.env, platform = process.platform) {
  if (platform === 'darwin') {
    return ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium', join(env.HOME ?? homedir(), 'Applications/Google Chrome.app/Contents/MacOS/Google Chrome')];
  }
  if (platform === 'win32') {
    return [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter(Boolean).map((d) => join(d, 'Google', 'Chrome', 'Application', 'chrome.exe'));
  }
  return NAMES.map((n) => `/usr/bin/${n}`).concat(['/snap/bin/chromium', '/opt/google/chrome/chrome', '/usr/lib/chromium/chromium']);
}

function isExecutable(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The browser's own account of itself ("Chromium 150.0.7871.100 ..."), or why it does not run. */
export function browserVersion(file) {
  const r = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const out = (r.stdout ?? '').trim();
  if (r.status === 0 && /\d+\.\d+/.test(out)) return { version: out.split('\n')[0] };
  const said = `${r.stderr ?? ''}\n${out}`.trim().split('\n').filter(Boolean).pop();
  return { error: r.error ? r.error.message : `--version exited with ${r.status}${said ? `: ${said.slice(0, 200)}` : ''}` };
}

/** Files named one of `names` under `dir`, at most `depth` folders down, newest version first. */
function filesNamed(dir, names, depth) {
  const found = [];
  const walk = (d, left) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory() && left > 0) walk(p, left - 1);
      else if (!e.isDirectory() && names.includes(e.name)) found.push(p);
    }
  };
  walk(dir, depth);
  return found.sort((a, b) => newerFirst(a.slice(dir.length), b.slice(dir.length)) || a.localeCompare(b));
}

/** Orders paths by the first version number in them (linux-121.0.6167.85, chromium-1100), highest first. */
function newerFirst(a, b) {
  const version = (p) => (/\d+(?:\.\d+)*/.exec(p)?.[0] ?? '0').split('.').map(Number);
  const [va, vb] = [version(a), version(b)];
  for (let i = 0; i < Math.max(va.length, vb.length); i++) if ((va[i] ?? 0) !== (vb[i] ?? 0)) return (vb[i] ?? 0) - (va[i] ?? 0);
  return 0;
}

/** Every candidate in order of preference, each with the source it came from. */
export function candidates(env = process.env, opts = {}) {
  const platform = opts.platform ?? process.platform;
  const home = env.HOME ?? homedir();
  const exe = platform === 'win32' ? '.exe' : '';
  const list = [];
  const add = (source, paths) => {
    for (const p of paths) if (!list.some((c) => c.path === p)) list.push({ path: p, source });
  };
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean);
  add('the system', NAMES.flatMap((n) => onPath.map((d) => join(d, n + exe))));
  add('the system', opts.systemPaths ?? systemPaths(env, platform));
  const puppeteer = env.PUPPETEER_CACHE_DIR ?? join(home, '.cache', 'puppeteer');
  add('a Puppeteer download', filesNamed(puppeteer, ['chrome', 'chrome.exe', 'Google Chrome for Testing', 'chrome-headless-shell', 'chrome-headless-shell.exe'], 6));
  const playwright = env.PLAYWRIGHT_BROWSERS_PATH ?? (platform === 'darwin' ? join(home, 'Library', 'Caches', 'ms-playwright') : join(home, '.cache', 'ms-playwright'));
  const playwrightDirs = (prefix) => {
    try {
      return readdirSync(playwright).filter((d) => d.startsWith(prefix)).sort(newerFirst).map((d) => join(playwright, d));
    } catch {
      return [];
    }
  };
  add('a Playwright download', playwrightDirs('chromium-').flatMap((d) => filesNamed(d, ['chrome', 'chrome.exe', 'Chromium'], 4)));
  add('a Playwright download', playwrightDirs('chromium_headless_shell').flatMap((d) => filesNamed(d, ['headless_shell', 'headless_shell.exe', 'chrome-headless-shell', 'chrome-headless-shell.exe'], 3)));
  add('Chrome for Testing', filesNamed(opts.cacheDir ?? CACHE_DIR, ['chrome-headless-shell', 'chrome-headless-shell.exe'], 3));
  return list;
}

/**
 * The first candidate that answers --version: `{ path, version, source }`,
 * or `{ path: null, why }`. `log` hears about every candidate that was
 * there but did not run.
 */
export function searchChromium(env = process.env, opts = {}) {
  const log = opts.log ?? (() => {});
  if (env.CHROME_PATH) {
    const p = resolve(env.CHROME_PATH);
    if (!isExecutable(p)) return { path: null, why: `CHROME_PATH=${env.CHROME_PATH} is not an executable file` };
    const v = browserVersion(p);
    if (v.version) return { path: p, version: v.version, source: 'CHROME_PATH' };
    return { path: null, why: `CHROME_PATH=${env.CHROME_PATH} does not run (${v.error})` };
  }
  const broken = [];
  for (const c of candidates(env, opts)) {
    if (!isExecutable(c.path)) continue;
    const v = browserVersion(c.path);
    if (v.version) return { path: c.path, version: v.version, source: c.source };
    log(`${c.path} (${c.source}) does not run: ${v.error}`);
    broken.push(`${c.path} does not run`);
  }
  return { path: null, why: broken.length ? broken.join('; ') : 'no Chrome or Chromium on PATH, in the usual places, or in a Puppeteer or Playwright download' };
}

/** What setup-chromium.mjs recorded, or undefined. */
export function recorded(cacheDir = CACHE_DIR) {
  try {
    return JSON.parse(readFileSync(join(cacheDir, 'found.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The browser for a test: CHROME_PATH when set, else the recorded one if it
 * is still there, else the same search the install made (installing nothing).
 */
export function findChromium(env = process.env, opts = {}) {
  if (!env.CHROME_PATH) {
    const r = recorded(opts.cacheDir);
    if (r?.path && isExecutable(r.path)) return r;
  }
  const found = searchChromium(env, opts);
  if (found.path || env.CHROME_PATH) return found;
  // The install's reason says more (e.g. why apt failed) than "none found".
  const r = recorded(opts.cacheDir);
  return r && !r.path && r.why ? { path: null, why: r.why } : found;
}

/** The one line that says which browser is used, or why there is none and how to get one. */
export function describeChromium(result) {
  if (result.path) return `headless Chromium for the reports/index.html test: ${result.path} (${result.version}, from ${result.source}).`;
  return (
    `headless Chromium for the reports/index.html test: none (${result.why}), so the test checks the page without opening it. ` +
    'To get one: apt-get install chromium, or run `CHROME_PATH=/path/to/chrome pnpm setup:chromium`.'
  );
}
