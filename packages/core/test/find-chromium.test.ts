/**
 * scripts/find-chromium.mjs and scripts/setup-chromium.mjs (the root
 * postinstall) on fake browsers: shell scripts that answer --version, laid
 * out as on PATH and in Puppeteer's and Playwright's caches under a fake
 * HOME. The machine's own browsers are kept out (PATH is the fake bin
 * alone, systemPaths: []), and the installers are fakes: no apt, no network.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Chromium, describeChromium, findChromium, searchChromium } from '../../../scripts/find-chromium.mjs';
import { type Installer, setupChromium } from '../../../scripts/setup-chromium.mjs';

const SCRIPTS = path.resolve(import.meta.dirname, '../../../scripts');
const work = mkdtempSync(path.join(tmpdir(), 'seg-chromium-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A fresh fake machine: its HOME, a bin folder, a cache folder, and a way to add browsers. */
function machine() {
  const dir = path.join(work, `m${n++}`);
  const home = path.join(dir, 'home');
  const bin = path.join(dir, 'bin');
  const cacheDir = path.join(dir, 'cache');
  mkdirSync(bin, { recursive: true });
  mkdirSync(home, { recursive: true });
  const browser = (file: string, says: string, status = 0) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `#!/bin/sh\necho "${says}"\nexit ${status}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: home, PATH: bin, ...extra });
  return { dir, home, bin, cacheDir, browser, env, opts: { systemPaths: [] as string[], cacheDir } };
}

/** Every kind of browser the search knows, one of each. */
function fullMachine() {
  const m = machine();
  const files = {
    chromePath: m.browser(path.join(m.dir, 'my-chrome'), 'Chromium 123.0'),
    onPath: m.browser(path.join(m.bin, 'chromium'), 'Chromium 122.0'),
    puppeteer: m.browser(path.join(m.home, '.cache/puppeteer/chrome/linux-121.0.6167.85/chrome-linux64/chrome'), 'Google Chrome for Testing 121.0'),
    playwright: m.browser(path.join(m.home, '.cache/ms-playwright/chromium-1100/chrome-linux/chrome'), 'Chromium 120.0'),
    playwrightShell: m.browser(path.join(m.home, '.cache/ms-playwright/chromium_headless_shell-1100/chrome-linux/headless_shell'), 'HeadlessChrome 119.0'),
  };
  return { ...m, files };
}

describe('finding Chromium', () => {
  it('prefers CHROME_PATH, then PATH, then Puppeteer, then Playwright, then its headless shell', () => {
    const m = fullMachine();
    const f = m.files;
    const seen: Chromium[] = [];
    seen.push(searchChromium(m.env({ CHROME_PATH: f.chromePath }), m.opts));
    for (const next of [f.onPath, f.puppeteer, f.playwright, f.playwrightShell]) {
      seen.push(searchChromium(m.env(), m.opts));
      rmSync(next);
    }
    seen.push(searchChromium(m.env(), m.opts));
    expect(seen).toEqual([
      { path: f.chromePath, version: 'Chromium 123.0', source: 'CHROME_PATH' },
      { path: f.onPath, version: 'Chromium 122.0', source: 'the system' },
      { path: f.puppeteer, version: 'Google Chrome for Testing 121.0', source: 'a Puppeteer download' },
      { path: f.playwright, version: 'Chromium 120.0', source: 'a Playwright download' },
      { path: f.playwrightShell, version: 'HeadlessChrome 119.0', source: 'a Playwright download' },
      { path: null, why: 'no Chrome or Chromium on PATH, in the usual places, or in a Puppeteer or Playwright download' },
    ]);
  });

  it('takes the newest Puppeteer download and passes over a browser that does not run (a snap stub)', () => {
    const m = machine();
    m.browser(path.join(m.bin, 'chromium-browser'), 'Command requires the chromium snap to be installed.', 1);
    m.browser(path.join(m.home, '.cache/puppeteer/chrome/linux-99.0.1/chrome-linux64/chrome'), 'Chrome 99.0');
    const newest = m.browser(path.join(m.home, '.cache/puppeteer/chrome-headless-shell/linux-121.0.2/chrome-headless-shell-linux64/chrome-headless-shell'), 'Chrome 121.0');
    const logged: string[] = [];
    expect(searchChromium(m.env(), { ...m.opts, log: (l) => logged.push(l) })).toEqual({ path: newest, version: 'Chrome 121.0', source: 'a Puppeteer download' });
    expect(logged).toEqual([expect.stringMatching(/chromium-browser \(the system\) does not run: --version exited with 1: Command requires the chromium snap/)]);
  });

  it('takes CHROME_PATH alone: one that is not there hides every other browser', () => {
    const m = fullMachine();
    expect(searchChromium(m.env({ CHROME_PATH: path.join(m.dir, 'nothing') }), m.opts)).toEqual({ path: null, why: `CHROME_PATH=${path.join(m.dir, 'nothing')} is not an executable file` });
    const notBrowser = m.browser(path.join(m.dir, 'false'), 'no version here', 3);
    expect(searchChromium(m.env({ CHROME_PATH: notBrowser }), m.opts)).toEqual({ path: null, why: `CHROME_PATH=${notBrowser} does not run (--version exited with 3: no version here)` });
  });

  it('uses the recorded browser while it is there, else searches again', () => {
    const m = fullMachine();
    mkdirSync(m.cacheDir, { recursive: true });
    const recordedOne = m.browser(path.join(m.dir, 'recorded-chrome'), 'Chromium 118.0');
    writeFileSync(path.join(m.cacheDir, 'found.json'), JSON.stringify({ path: recordedOne, version: 'Chromium 118.0', source: 'apt' }));
    expect(findChromium(m.env(), m.opts)).toEqual({ path: recordedOne, version: 'Chromium 118.0', source: 'apt' });
    // CHROME_PATH still wins over the record.
    expect(findChromium(m.env({ CHROME_PATH: m.files.chromePath }), m.opts).path).toBe(m.files.chromePath);
    rmSync(recordedOne);
    expect(findChromium(m.env(), m.opts).path).toBe(m.files.onPath);
  });

  it("gives the install's reason when none is found", () => {
    const m = machine();
    mkdirSync(m.cacheDir, { recursive: true });
    writeFileSync(path.join(m.cacheDir, 'found.json'), JSON.stringify({ path: null, why: 'apt: not root' }));
    expect(findChromium(m.env(), m.opts)).toEqual({ path: null, why: 'apt: not root' });
  });
});

describe('setting up Chromium (the root postinstall)', () => {
  it('says in one line which browser it uses, and records it', async () => {
    const m = fullMachine();
    const lines: string[] = [];
    const installers: Installer[] = [['apt', () => { throw new Error('must not run'); }]];
    await setupChromium({ env: m.env({ CHROME_PATH: m.files.chromePath }), ...m.opts, installers, say: (l) => lines.push(l) });
    expect(lines).toEqual([`headless Chromium for the reports/index.html test: ${m.files.chromePath} (Chromium 123.0, from CHROME_PATH).`]);
    expect(JSON.parse(readFileSync(path.join(m.cacheDir, 'found.json'), 'utf8'))).toEqual({ path: m.files.chromePath, version: 'Chromium 123.0', source: 'CHROME_PATH' });
  });

  it('installs only when none is found, trying each installer in turn', async () => {
    const m = machine();
    const lines: string[] = [];
    const tried: string[] = [];
    // Where the real one unpacks it.
    const shell = path.join(m.cacheDir, 'chrome-headless-shell-130.0/chrome-headless-shell-linux64/chrome-headless-shell');
    const installers: Installer[] = [
      ['apt', () => { tried.push('apt'); throw new Error('not root'); }],
      ['Chrome for Testing', () => {
        tried.push('cft');
        m.browser(shell, 'Google Chrome for Testing 130.0');
        return { path: shell, version: 'Google Chrome for Testing 130.0', source: 'Chrome for Testing' };
      }],
      ['never', () => { tried.push('never'); throw new Error('must not run'); }],
    ];
    await setupChromium({ env: m.env(), ...m.opts, installers, say: (l) => lines.push(l) });
    expect(tried).toEqual(['apt', 'cft']);
    expect(lines).toEqual([`headless Chromium for the reports/index.html test: ${shell} (Google Chrome for Testing 130.0, from Chrome for Testing).`]);
    // The next search finds that download in the cache by itself.
    rmSync(path.join(m.cacheDir, 'found.json'));
    expect(findChromium(m.env(), m.opts)).toEqual({ path: shell, version: 'Google Chrome for Testing 130.0', source: 'Chrome for Testing' });
  });

  it('says in one line why there is none and how to get one, and the tests then say the same', async () => {
    const m = machine();
    const lines: string[] = [];
    const installers: Installer[] = [
      ['apt', () => { throw new Error('not root'); }],
      ['Chrome for Testing', () => { throw new Error('googlechromelabs.github.io is not reachable (ENOTFOUND)'); }],
    ];
    const result = await setupChromium({ env: m.env(), ...m.opts, installers, say: (l) => lines.push(l) });
    const why = 'no Chrome or Chromium on PATH, in the usual places, or in a Puppeteer or Playwright download; apt: not root; Chrome for Testing: googlechromelabs.github.io is not reachable (ENOTFOUND)';
    expect(result).toEqual({ path: null, why });
    expect(lines).toEqual([
      `headless Chromium for the reports/index.html test: none (${why}), so the test checks the page without opening it. To get one: apt-get install chromium, or run \`CHROME_PATH=/path/to/chrome pnpm setup:chromium\`.`,
    ]);
    expect(describeChromium(findChromium(m.env(), m.opts))).toBe(lines[0]);
  });

  it('does nothing with SEG_CHROMIUM=skip', async () => {
    const m = machine();
    const lines: string[] = [];
    expect(await setupChromium({ env: m.env({ SEG_CHROMIUM: 'skip' }), ...m.opts, installers: [], say: (l) => lines.push(l) })).toBeUndefined();
    expect(lines).toEqual([]);
    const r = spawnSync(process.execPath, [path.join(SCRIPTS, 'setup-chromium.mjs')], { env: { ...process.env, SEG_CHROMIUM: 'skip' }, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
  });
});
