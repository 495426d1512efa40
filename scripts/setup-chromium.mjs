#!/usr/bin/env node
/**
 * Finds, or gets, the headless Chrome or Chromium that the reports/index.html
 * test opens the page in. Runs as the root postinstall; never fails the
 * install: without a browser that test still checks the page, only not in
 * a browser, and this says so in one line.
 *
 * The search is scripts/find-chromium.mjs's (CHROME_PATH, the system's, a
 * Puppeteer or Playwright download). Where it finds none, and CHROME_PATH is
 * not set, the first of these that works gets one:
 *   1. apt's chromium, as root on Debian or Ubuntu (on Ubuntu it can be a
 *      stub for the snap, which does not run in a container: then 2).
 *   2. Chrome for Testing's headless shell (Stable), unpacked into
 *      node_modules/.cache/seg-chromium/.
 * The result goes to node_modules/.cache/seg-chromium/found.json, which the
 * tests read. SEG_CHROMIUM=skip skips all of this.
 * Details of every step go to node_modules/.cache/seg-chromium/setup.log.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from 'zx';
import { browserVersion, CACHE_DIR, describeChromium, searchChromium } from './find-chromium.mjs';

const CFT_VERSIONS = 'https://googlechromelabs.github.io/chrome-for-testing/last-known-good-versions-with-downloads.json';

/** Chrome for Testing's name for this platform, or undefined where it has no build. */
export function cftPlatform(platform = process.platform, arch = process.arch) {
  const names = { 'linux-x64': 'linux64', 'darwin-arm64': 'mac-arm64', 'darwin-x64': 'mac-x64', 'win32-x64': 'win64' };
  return names[`${platform}-${arch}`];
}

function lastLine(s) {
  return (s ?? '').trim().split('\n').filter(Boolean).pop() ?? '';
}

function debianLike() {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^ID(_LIKE)?=.*\b(debian|ubuntu)\b/m.test(release);
  } catch {
    return false;
  }
}

/** 1. apt's chromium. */
async function fromApt(ctx) {
  if (process.platform !== 'linux' || !debianLike()) throw new Error('not Debian or Ubuntu');
  if (process.getuid?.() !== 0) throw new Error('not root');
  if (!(await which('apt-get', { nothrow: true }))) throw new Error('no apt-get');
  const update = ctx.run('apt-get', ['update', '-qq']);
  if (update.status !== 0) throw new Error(`apt-get update failed: ${lastLine(update.stderr)}`);
  const install = ctx.run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env: { ...ctx.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install.status !== 0) throw new Error(`apt-get install chromium failed: ${lastLine(install.stderr)}`);
  const found = ctx.search();
  if (!found.path) throw new Error(`apt installed chromium but it does not run (on Ubuntu it is a stub for the snap): ${found.why}`);
  return { ...found, source: 'apt' };
}

/** How to unpack a zip here: the system's unzip, else Python's zipfile (which drops the executable bits). */
async function unzipper(ctx) {
  if (await which('unzip', { nothrow: true })) return { name: 'unzip', args: (zip, dir) => ['unzip', ['-q', '-o', zip, '-d', dir]], keepsModes: true };
  for (const py of ['python3', 'python']) {
    if (ctx.run(py, ['--version']).status === 0) return { name: py, args: (zip, dir) => [py, ['-m', 'zipfile', '-e', zip, dir]], keepsModes: false };
  }
  return undefined;
}

function makeExecutable(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) makeExecutable(p);
    else if (e.isFile()) chmodSync(p, statSync(p).mode | 0o755);
  }
}

/** fetch, with an unreachable host said as such (fetch itself only says "fetch failed"). */
async function download(url, ms) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(ms) });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res;
  } catch (err) {
    if (err.cause?.code || err.name === 'TimeoutError') throw new Error(`${new URL(url).host} is not reachable (${err.cause?.code ?? 'timed out'})`);
    throw err;
  }
}

/** 2. Chrome for Testing's headless shell. */
async function fromChromeForTesting(ctx) {
  const platform = cftPlatform();
  if (!platform) throw new Error(`it has no build for ${process.platform}-${process.arch}`);
  const unzip = await unzipper(ctx);
  if (!unzip) throw new Error('neither unzip nor python3 is here to unpack its zip');
  ctx.log(`GET ${CFT_VERSIONS}`);
  const index = await download(CFT_VERSIONS, 30_000);
  const stable = (await index.json()).channels?.Stable;
  const url = stable?.downloads?.['chrome-headless-shell']?.find((d) => d.platform === platform)?.url;
  if (!url) throw new Error(`its Stable channel lists no chrome-headless-shell for ${platform}`);
  ctx.log(`GET ${url}`);
  const res = await download(url, 600_000);
  const zip = join(ctx.cacheDir, 'chrome-headless-shell.zip');
  const { Readable } = await import('node:stream');
  const { pipeline } = await import('node:stream/promises');
  await pipeline(Readable.fromWeb(res.body), createWriteStream(zip));
  const out = join(ctx.cacheDir, `chrome-headless-shell-${stable.version}`);
  const partial = `${out}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const [cmd, args] = unzip.args(zip, partial);
  const r = ctx.run(cmd, args);
  rmSync(zip, { force: true });
  if (r.status !== 0) throw new Error(`${unzip.name} could not unpack ${url}: ${lastLine(r.stderr)}`);
  if (!unzip.keepsModes) makeExecutable(partial);
  // One version at a time: older unpacked shells go.
  for (const d of readdirSync(ctx.cacheDir)) if (d.startsWith('chrome-headless-shell-') && join(ctx.cacheDir, d) !== partial) rmSync(join(ctx.cacheDir, d), { recursive: true, force: true });
  renameSync(partial, out);
  const exe = join(out, `chrome-headless-shell-${platform}`, `chrome-headless-shell${process.platform === 'win32' ? '.exe' : ''}`);
  if (!existsSync(exe)) throw new Error(`${url} holds no ${exe.slice(out.length + 1)}`);
  const v = browserVersion(exe);
  if (!v.version) throw new Error(`its headless shell ${stable.version} does not run here (${v.error})`);
  return { path: exe, version: v.version, source: 'Chrome for Testing' };
}

export const INSTALLERS = [
  ['apt', fromApt],
  ['Chrome for Testing', fromChromeForTesting],
];

/**
 * Searches, installs where nothing is found, records and says the result.
 * Returns the result (undefined when skipped). Tests pass their own env,
 * cacheDir, systemPaths, installers and say, so no apt or network runs.
 */
export async function setupChromium(opts = {}) {
  const env = opts.env ?? process.env;
  if (env.SEG_CHROMIUM === 'skip') return undefined;
  const cacheDir = opts.cacheDir ?? CACHE_DIR;
  mkdirSync(cacheDir, { recursive: true });
  const logFile = join(cacheDir, 'setup.log');
  const log = (line) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  const say = opts.say ?? ((line) => process.stderr.write(`seg: ${line}\n`));
  // spawnSync with an argument list, not zx's $ (which always goes through a
  // shell: bash, or PowerShell set up by hand): unzip and python run here on
  // macOS and Windows too, and installers get this synchronous run.
  const run = (cmd, args, o = {}) => {
    log(`$ ${cmd} ${args.join(' ')}`);
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...o });
    log(`exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${(r.stdout ?? '').slice(-2000)}${(r.stderr ?? '').slice(-4000)}`);
    return r;
  };
  const search = () => searchChromium(env, { cacheDir, systemPaths: opts.systemPaths, log });
  const ctx = { env, cacheDir, log, run, search };

  let result = search();
  if (!result.path && !env.CHROME_PATH) {
    const failures = [];
    for (const [what, get] of opts.installers ?? INSTALLERS) {
      const started = Date.now();
      try {
        const got = await get(ctx);
        if (!got?.path) throw new Error(got?.why ?? 'it found nothing');
        result = got;
        log(`${what}: ${result.path} (${result.version}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        break;
      } catch (err) {
        failures.push(`${what}: ${err.message}`);
        log(`${what} failed: ${err.stack ?? err}`);
      }
    }
    if (!result.path) result = { path: null, why: [result.why, ...failures].join('; ') };
  }
  writeFileSync(join(cacheDir, 'found.json'), `${JSON.stringify(result, null, 2)}\n`);
  const line = describeChromium(result);
  log(line);
  say(line);
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  setupChromium().catch((err) => {
    // Never fail the install over a browser that only one test needs.
    process.stderr.write(`seg: looking for headless Chromium failed (${err.message}); the reports/index.html test will check the page without opening it.\n`);
  });
}
